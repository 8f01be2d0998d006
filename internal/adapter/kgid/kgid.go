// Package kgid validates and masks the 14-digit identifiers of the Kyrgyz
// Republic that travel through Tunduk: the personal identification number
// (PIN, ПИН) of a person and the taxpayer number (INN, ИНН) of an
// organisation or individual entrepreneur.
//
// The structure checked here is what public sources agree on:
//
//   - PIN: 14 digits; the first is the sex (1 or 2), the next eight are the
//     date of birth as DDMMYYYY, the last five a sequence number.
//   - INN: 14 digits. An individual entrepreneur is registered under their
//     PIN, so an INN starting with 1 or 2 must be a valid PIN. An
//     organisation's INN starts with 0.
//
// What the remaining 13 digits of an organisation's INN hold is not
// published by the State Tax Service, and public descriptions disagree.
// Two layouts are known, and both embed the registration date:
//
//   - layout A: 0, the state registration date DDMMYYYY, a 5-digit serial
//     (digits 2-9 are the date). The INNs visible in public procurement
//     listings and the demo data set follow it.
//   - layout B: a 2-digit region code, the registration month MM and year
//     YYYY, then a type digit, a serial and a check digit (digits 3-4 are
//     the month, 5-8 the year).
//
// ASSUMPTION: an organisation's INN is impossible only when it fits
// neither layout — a real date (layout A) or a real month and year
// (layout B), between 1900 and today — or when its 13 digits after the
// leading 0 are all the same (00000000000000, 01111111111111: placeholders
// typed into forms). Being lenient is deliberate: refusing a real
// supplier's INN stops a tender, while a wrong INN that gets through only
// costs one Tunduk query answered "not found". Tighten this (e.g. to layout
// A alone) when the State Tax Service publishes the structure.
//
// Neither number carries a published check digit, so none is verified.
package kgid

import (
	"fmt"
	"strings"
	"time"
)

// Len is the length of a PIN or an INN.
const Len = 14

// Kind names which identifier a value was meant to be.
type Kind string

// The two identifiers.
const (
	PIN Kind = "PIN"
	INN Kind = "INN"
)

// InvalidError says why a value is not a valid PIN or INN. Reason is safe
// to show to a caller: it never repeats the value.
type InvalidError struct {
	Kind   Kind
	Reason string
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("kgid: invalid %s: %s", e.Kind, e.Reason)
}

// now is replaced in tests.
var now = time.Now

// ValidatePIN checks a personal identification number.
func ValidatePIN(s string) error { return validatePIN(PIN, s) }

func validatePIN(k Kind, s string) error {
	if err := digits(k, s); err != nil {
		return err
	}
	if s[0] != '1' && s[0] != '2' {
		return &InvalidError{k, "a personal number starts with 1 or 2 (sex)"}
	}
	d, err := time.Parse("02012006", s[1:9])
	if err != nil {
		return &InvalidError{k, "digits 2-9 must be a date of birth DDMMYYYY"}
	}
	if d.Year() < 1900 || d.After(now()) {
		return &InvalidError{k, "the date of birth in digits 2-9 is out of range"}
	}
	return nil
}

// ValidateINN checks a taxpayer number of an organisation (leading 0) or an
// individual entrepreneur (a PIN).
func ValidateINN(s string) error {
	if err := digits(INN, s); err != nil {
		return err
	}
	switch s[0] {
	case '0':
		return validateOrganisation(s)
	case '1', '2':
		return validatePIN(INN, s)
	default:
		return &InvalidError{INN, "a taxpayer number starts with 0 (organisation) or 1/2 (individual entrepreneur)"}
	}
}

// validateOrganisation checks the 13 digits after an organisation INN's
// leading 0 against the known layouts (see the package comment).
func validateOrganisation(s string) error {
	if strings.Count(s[1:], s[1:2]) == Len-1 {
		if s[1] == '0' {
			return &InvalidError{INN, "an all-zero number is not a taxpayer number; give the supplier's real 14-digit INN"}
		}
		return &InvalidError{INN, "a number whose digits after the leading 0 are all the same is a placeholder, not a taxpayer number"}
	}
	if d, err := time.Parse("02012006", s[1:9]); err == nil && inRange(d) {
		return nil // layout A: 0 DDMMYYYY NNNNN
	}
	if d, err := time.Parse("012006", s[2:8]); err == nil && inRange(d) {
		return nil // layout B: RR MM YYYY …
	}
	return &InvalidError{INN, "an organisation's taxpayer number holds its registration date (digits 2-9 as DDMMYYYY, or a region code then MMYYYY); these digits are no date between 1900 and today — check the INN with the supplier"}
}

// inRange reports whether a registration or birth date is plausible.
func inRange(d time.Time) bool { return d.Year() >= 1900 && !d.After(now()) }

// IsOrganisation reports whether a valid INN belongs to an organisation
// rather than an individual entrepreneur.
func IsOrganisation(inn string) bool { return len(inn) == Len && inn[0] == '0' }

func digits(k Kind, s string) error {
	if len(s) != Len {
		return &InvalidError{k, fmt.Sprintf("must be %d digits, got %d characters", Len, len(s))}
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return &InvalidError{k, "must contain digits only"}
		}
	}
	return nil
}

// Mask hides all but the last four digits of an identifier:
// "21505199012345" → "**********2345". Values shorter than five
// characters are hidden entirely.
func Mask(s string) string {
	if len(s) <= 4 {
		return strings.Repeat("*", len(s))
	}
	return strings.Repeat("*", len(s)-4) + s[len(s)-4:]
}

// MaskText masks every PIN/INN-shaped number (exactly 14 consecutive
// digits, optionally after a country prefix such as "KG") inside free text,
// for log messages and field values. Longer digit runs (timestamps in
// nanoseconds and other long numbers) are left alone.
func MaskText(s string) string {
	if !hasRun(s) {
		return s
	}
	b := []byte(s)
	for i := 0; i < len(b); {
		if !isDigit(b[i]) {
			i++
			continue
		}
		j := i
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		if j-i == Len {
			for k := i; k < j-4; k++ {
				b[k] = '*'
			}
		}
		i = j
	}
	return string(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// hasRun is a fast pre-check so the common case allocates nothing.
func hasRun(s string) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
			if n >= Len {
				return true
			}
		} else {
			n = 0
		}
	}
	return false
}
