// Package checks is the registry of the portal's supplier checks: each
// check's name, whom it is about (an organisation's INN or a person's PIN)
// and the result fields the portal API promises. A check's Tunduk side —
// which service answers it and how — is configuration (internal/adapter/mapping);
// this registry is what the mappings, the configuration validator and the
// portal API all read, so the list of checks exists once.
//
// One file per check registers it, the way node_exporter registers
// collectors.
package checks

import (
	"fmt"
	"sort"
	"sync"
)

// Subject is whom a check is about.
type Subject string

// Subjects.
const (
	// Organisation checks take the supplier's INN.
	Organisation Subject = "inn"
	// Person checks take a person's PIN.
	Person Subject = "pin"
)

// FieldType is the JSON type of a result field.
type FieldType string

// Field types.
const (
	String FieldType = "string"
	Bool   FieldType = "bool"
	Number FieldType = "number"
	List   FieldType = "list" // a list of objects described by Field.Fields
	// Object is one nested object described by Field.Fields.
	Object FieldType = "object"
	// Date is a calendar date, answered as YYYY-MM-DD whatever the
	// producer's format (the mapping's format: says how to read it).
	Date FieldType = "date"
	// Decimal is an exact decimal number (money): answered as a JSON
	// number with the producer's digits, never through a float.
	Decimal FieldType = "decimal"
	// Enum is one of Field.Values, stable API values the mapping maps the
	// producer's own wording to.
	Enum FieldType = "enum"
)

// Field is one field of a check's result.
type Field struct {
	Name     string
	Type     FieldType
	Required bool // a mapping must provide it, and an "ok" answer must carry it
	Doc      string
	Fields   []Field // for List and Object
	// Values are the API values of an Enum.
	Values []string
	// Derived fields are computed by the check's Finish from the mapped
	// fields; a mapping cannot map them.
	Derived bool
}

// Check describes one portal check.
type Check struct {
	// Name is the check's identifier in the API and configuration
	// ("tax-debt").
	Name string
	// Title is a short human description.
	Title string
	// Subject says whether the check takes an INN or a PIN.
	Subject Subject
	// Route is the portal API path pattern of its single-check endpoint.
	Route string
	// Fields are the result fields.
	Fields []Field
	// Finish, when set, completes an ok answer's fields read by a mapping:
	// it fills Derived fields and refuses an answer whose facts contradict
	// each other (the error names fields, never values).
	Finish func(fields map[string]any) error
}

// Field returns the named result field.
func (c Check) Field(name string) (Field, bool) {
	for _, f := range c.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

var (
	mu       sync.RWMutex
	registry = map[string]Check{}
)

// Register adds a check; it panics on a duplicate or incomplete entry
// (registration happens in init functions).
func Register(c Check) {
	if c.Name == "" || (c.Subject != Organisation && c.Subject != Person) {
		panic(fmt.Sprintf("checks: incomplete registration %+v", c))
	}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[c.Name]; dup {
		panic("checks: duplicate check " + c.Name)
	}
	registry[c.Name] = c
}

// Lookup returns the named check.
func Lookup(name string) (Check, bool) {
	mu.RLock()
	defer mu.RUnlock()
	c, ok := registry[name]
	return c, ok
}

// All returns every registered check sorted by name.
func All() []Check {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]Check, 0, len(registry))
	for _, c := range registry {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Names returns the registered check names, sorted.
func Names() []string {
	all := All()
	out := make([]string, len(all))
	for i, c := range all {
		out[i] = c.Name
	}
	return out
}
