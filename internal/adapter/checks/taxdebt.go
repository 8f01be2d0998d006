package checks

import (
	"errors"
	"strings"
)

// TaxDebt: does the supplier owe taxes? (State Tax Service, GOV/70000002)
func init() {
	Register(Check{
		Name:    "tax-debt",
		Title:   "Tax arrears of the supplier (State Tax Service)",
		Subject: Organisation,
		Route:   "/v1/suppliers/{inn}/tax-debt",
		Fields:  debtFields("the kind of tax (the producer's wording)"),
		Finish:  finishDebt,
	})
}

// debtFields are shared by the two arrears checks: every fact that decides
// whether the supplier may bid (in arrears or not, how much, in which
// currency, as of when) and the breakdown where the producer gives one.
func debtFields(kindDoc string) []Field {
	return []Field{
		{Name: "hasDebt", Type: Bool, Required: true, Doc: "true when the supplier is in arrears"},
		{Name: "amount", Type: Decimal, Required: true, Doc: "the total arrears, exact decimal, in currency"},
		{Name: "currency", Type: String, Required: true, Doc: "ISO 4217 currency of the amounts (KGS)"},
		{Name: "asOf", Type: Date, Required: true, Doc: "the date the producer's figures refer to"},
		{Name: "name", Type: String, Doc: "the taxpayer's name as the producer knows it"},
		{Name: "inn", Type: String, Doc: "the taxpayer number the producer answered about"},
		{Name: "breakdown", Type: List, Doc: "the arrears by kind and period, when the producer gives them", Fields: []Field{
			{Name: "kind", Type: String, Doc: kindDoc},
			{Name: "periodFrom", Type: Date, Doc: "first day of the period"},
			{Name: "periodTo", Type: Date, Doc: "last day of the period"},
			{Name: "amount", Type: Decimal, Required: true, Doc: "the arrears for this kind and period"},
		}},
	}
}

// finishDebt refuses an answer that says "no debt" with a positive amount.
func finishDebt(f map[string]any) error {
	has, _ := f["hasDebt"].(bool)
	amount, _ := f["amount"].(interface{ String() string })
	if amount != nil && !has && strings.Trim(strings.TrimPrefix(amount.String(), "-"), "0.") != "" {
		return errors.New("hasDebt is false but amount is not zero")
	}
	if c, _ := f["currency"].(string); len(c) != 3 || strings.ToUpper(c) != c {
		return errors.New("currency is not an ISO 4217 code such as KGS")
	}
	return nil
}
