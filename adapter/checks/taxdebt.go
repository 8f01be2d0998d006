package checks

// TaxDebt: does the supplier owe taxes? (State Tax Service, GOV/70000002)
func init() {
	Register(Check{
		Name:    "tax-debt",
		Title:   "Tax arrears of the supplier (State Tax Service)",
		Subject: Organisation,
		Route:   "/v1/suppliers/{inn}/tax-debt",
		Fields:  debtFields,
	})
}

// debtFields are shared by the two arrears checks.
var debtFields = []Field{
	{Name: "hasDebt", Type: Bool, Required: true, Doc: "true when the supplier is in arrears"},
	{Name: "amount", Type: Number, Doc: "the arrears in soms, when the producer states it"},
	{Name: "asOf", Type: String, Doc: "the date the producer's figures refer to"},
	{Name: "name", Type: String, Doc: "the taxpayer's name as the producer knows it"},
}
