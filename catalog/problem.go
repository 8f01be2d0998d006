package catalog

import (
	"fmt"
	"sort"
	"strings"
)

// Severity says whether a problem blocks registration.
type Severity int

// Severities.
const (
	// Error: the operator would refuse the catalog; validate exits 1.
	Error Severity = iota
	// Warning: allowed, but worth a look.
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Problem is one thing wrong with the catalog: where, and what to fix.
type Problem struct {
	File     string
	Line     int    // 0 when unknown
	Path     string // e.g. services[getSupplier].legalBasis
	Severity Severity
	Msg      string // what is wrong; what to do
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Severity == Warning {
		b.WriteString("warning: ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is a list of problems; as an error it means the catalog could
// not be loaded or is invalid.
type Problems []Problem

func (ps Problems) Error() string {
	var lines []string
	for _, p := range ps {
		lines = append(lines, p.String())
	}
	return "catalog: " + strings.Join(lines, "\n")
}

// Errors returns only the problems of severity Error.
func (ps Problems) Errors() Problems {
	var out Problems
	for _, p := range ps {
		if p.Severity == Error {
			out = append(out, p)
		}
	}
	return out
}

// Sort orders problems by file and line.
func (ps Problems) Sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Line < ps[j].Line
	})
}
