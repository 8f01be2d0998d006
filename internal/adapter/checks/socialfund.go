package checks

// SocialFundDebt: does the supplier owe insurance contributions? (Social
// Fund, GOV/70000003)
func init() {
	Register(Check{
		Name:    "social-fund-debt",
		Title:   "Social insurance contribution arrears of the supplier (Social Fund)",
		Subject: Organisation,
		Route:   "/v1/suppliers/{inn}/social-fund-debt",
		Fields:  debtFields("the kind of contribution (the producer's wording), when given"),
		Finish:  finishDebt,
	})
}
