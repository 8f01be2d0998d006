package checks

// Company statuses of the Ministry of Justice register as the API names
// them; the producer's own wording is mapped to these (internal/adapter/mapping)
// and kept verbatim in companyStatusRaw.
var CompanyStatuses = []string{"active", "liquidating", "liquidated", "bankrupt", "reorganising", "unknown"}

// Founders: who founded the legal entity, and is it still active?
// (Ministry of Justice, GOV/70000024)
func init() {
	party := func(what string) []Field {
		return []Field{
			{Name: "type", Type: Enum, Required: true, Values: []string{"person", "organisation"}, Doc: "a person (id is a PIN) or an organisation (id is an INN)"},
			{Name: "id", Type: String, Required: true, Doc: "the " + what + "'s PIN or INN"},
			{Name: "name", Type: String, Required: true, Doc: "full name of the person or name of the organisation"},
		}
	}
	Register(Check{
		Name:    "founders",
		Title:   "Founders of the legal entity (Ministry of Justice)",
		Subject: Organisation,
		Route:   "/v1/suppliers/{inn}/founders",
		Fields: []Field{
			{Name: "name", Type: String, Doc: "registered name of the legal entity"},
			{Name: "inn", Type: String, Doc: "the taxpayer number the register answered about"},
			{Name: "registrationDate", Type: Date, Required: true, Doc: "date of state registration"},
			{Name: "companyStatus", Type: Enum, Required: true, Values: CompanyStatuses,
				Doc: "register status: active, liquidating, liquidated, bankrupt, reorganising; unknown when the register's wording is not one the mapping knows (see companyStatusRaw)"},
			{Name: "companyStatusRaw", Type: String, Required: true, Doc: "the register's status wording, verbatim"},
			{Name: "address", Type: String, Doc: "registered address"},
			{Name: "director", Type: Object, Doc: "the head of the legal entity", Fields: party("director")},
			{Name: "founders", Type: List, Required: true, Doc: "the founders", Fields: append(party("founder"),
				Field{Name: "share", Type: Decimal, Doc: "share of the charter capital, percent"})},
		},
	})
}
