package checks

// Founders: who founded the legal entity? (Ministry of Justice, GOV/70000024)
func init() {
	Register(Check{
		Name:    "founders",
		Title:   "Founders of the legal entity (Ministry of Justice)",
		Subject: Organisation,
		Route:   "/v1/suppliers/{inn}/founders",
		Fields: []Field{
			{Name: "name", Type: String, Doc: "registered name of the legal entity"},
			{Name: "registrationDate", Type: String, Doc: "date of state registration"},
			{Name: "founders", Type: List, Required: true, Doc: "the founders", Fields: []Field{
				{Name: "name", Type: String, Required: true, Doc: "founder's full name or organisation name"},
				{Name: "id", Type: String, Doc: "founder's PIN or INN"},
				{Name: "share", Type: Number, Doc: "share of the charter capital, percent"},
			}},
		},
	})
}
