package checks

// CriminalRecord: does the person have a criminal record? (Ministry of
// Interior)
func init() {
	Register(Check{
		Name:    "criminal-record",
		Title:   "Criminal record of a person (Ministry of Interior)",
		Subject: Person,
		Route:   "/v1/persons/{pin}/criminal-record",
		Fields: []Field{
			{Name: "hasRecord", Type: Bool, Required: true, Doc: "true when the person has a criminal record"},
			{Name: "details", Type: String, Doc: "the producer's wording, when given"},
		},
	})
}
