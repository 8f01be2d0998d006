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
//     organisation's INN starts with 0; public descriptions of the remaining
//     13 digits disagree (registration date vs region code), so beyond the
//     leading 0 only the length and digits are checked.
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
		return nil
	case '1', '2':
		return validatePIN(INN, s)
	default:
		return &InvalidError{INN, "a taxpayer number starts with 0 (organisation) or 1/2 (individual entrepreneur)"}
	}
}

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
