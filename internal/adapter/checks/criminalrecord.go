package checks

import "errors"

// CriminalRecord: does the person have a criminal record, and is any of it
// still in force? (Ministry of Interior)
func init() {
	Register(Check{
		Name:    "criminal-record",
		Title:   "Criminal record of a person (Ministry of Interior)",
		Subject: Person,
		Route:   "/v1/persons/{pin}/criminal-record",
		Fields: []Field{
			{Name: "hasActiveRecord", Type: Bool, Derived: true, Doc: "true when at least one conviction is not expunged (status active)"},
			{Name: "hasAnyRecord", Type: Bool, Required: true, Doc: "true when the register holds any conviction, expunged or not"},
			{Name: "fullName", Type: String, Doc: "the person's full name as the register knows it"},
			{Name: "birthDate", Type: Date, Doc: "the person's date of birth as the register knows it"},
			{Name: "records", Type: List, Required: true, Doc: "every conviction the register holds", Fields: []Field{
				{Name: "article", Type: String, Required: true, Doc: "article of the Criminal Code"},
				{Name: "convictionDate", Type: Date, Required: true, Doc: "date of the judgment"},
				{Name: "court", Type: String, Doc: "the court that convicted"},
				{Name: "sentence", Type: String, Doc: "the sentence"},
				{Name: "status", Type: Enum, Required: true, Values: []string{"active", "expunged"}, Doc: "active: the conviction is in force; expunged: погашена or снята"},
				{Name: "statusRaw", Type: String, Doc: "the register's wording of the status, verbatim"},
			}},
		},
		Finish: finishCriminalRecord,
	})
}

// finishCriminalRecord derives hasActiveRecord from the records and
// refuses an answer whose summary contradicts its list.
func finishCriminalRecord(f map[string]any) error {
	records, _ := f["records"].([]map[string]any)
	active := false
	for _, r := range records {
		active = active || r["status"] == "active"
	}
	if has, _ := f["hasAnyRecord"].(bool); has != (len(records) > 0) {
		return errors.New("the register's record flag contradicts its list of records")
	}
	f["hasActiveRecord"] = active
	return nil
}
