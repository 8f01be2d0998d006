package kgid

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestValidatePIN(t *testing.T) {
	now = func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	defer func() { now = time.Now }()
	tests := []struct {
		in     string
		reason string // "" = valid
	}{
		{"21505199012345", ""},
		{"12902200000017", ""}, // 29 Feb 2000
		{"2150519901234", "14 digits"},
		{"215051990123456", "14 digits"},
		{"2150519901234a", "digits only"},
		{"31505199012345", "starts with 1 or 2"},
		{"01505199012345", "starts with 1 or 2"},
		{"23202199012345", "DDMMYYYY"}, // 32 Feb
		{"22902199912345", "DDMMYYYY"}, // 29 Feb 1999
		{"20101189912345", "out of range"},
		{"20101203012345", "out of range"}, // 2030: future
	}
	for _, tt := range tests {
		err := ValidatePIN(tt.in)
		if tt.reason == "" {
			if err != nil {
				t.Errorf("ValidatePIN(%s) = %v, want nil", tt.in, err)
			}
			continue
		}
		var ie *InvalidError
		if !errors.As(err, &ie) || ie.Kind != PIN || !strings.Contains(ie.Reason, tt.reason) {
			t.Errorf("ValidatePIN(%s) = %v, want InvalidError containing %q", tt.in, err, tt.reason)
			continue
		}
		if strings.Contains(err.Error(), tt.in) {
			t.Errorf("error repeats the value: %v", err)
		}
	}
}

func TestValidateINN(t *testing.T) {
	now = func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	defer func() { now = time.Now }()
	tests := []struct {
		in     string
		reason string
		org    bool
	}{
		{"02305201810225", "", true}, // layout A: 23.05.2018
		{"01503201010234", "", true}, // layout A: 15.03.2010
		{"00112200400017", "", true}, // layout A: 01.12.2004 (also B: 11/2200, no)
		{"01112199900001", "", true}, // layout A
		{"00505199112345", "", true}, // layout A: 05.05.1991
		{"07031998100015", "", true}, // layout B: region 07, 03/1998 (A: day 70, no)
		{"00000000000000", "all-zero", false},
		{"01111111111111", "all the same", false},
		{"09999999999999", "all the same", false},
		{"01234567890123", "no date", false}, // A: month 34; B: month 23
		{"09913999912345", "no date", false}, // A: day 99; B: month 91
		{"03112203012345", "no date", false}, // A: 31.12.2030 future; B: month 11 year 2203
		{"00101189912345", "no date", false}, // A: 1899; B: month 10, year 1189
		{"00000199912345", "no date", false}, // A: day 00; B: month 00
		{"21505199012345", "", false},        // individual entrepreneur = PIN
		{"23202199012345", "DDMMYYYY", false},
		{"51234567890123", "starts with 0", false},
		{"0123456789012", "14 digits", false},
		{"0123456789012x", "digits only", false},
	}
	for _, tt := range tests {
		err := ValidateINN(tt.in)
		if tt.reason == "" {
			if err != nil {
				t.Errorf("ValidateINN(%s) = %v", tt.in, err)
			}
			if IsOrganisation(tt.in) != tt.org {
				t.Errorf("IsOrganisation(%s) = %v", tt.in, !tt.org)
			}
			continue
		}
		var ie *InvalidError
		if !errors.As(err, &ie) || ie.Kind != INN || !strings.Contains(ie.Reason, tt.reason) {
			t.Errorf("ValidateINN(%s) = %v, want reason %q", tt.in, err, tt.reason)
		}
	}
}

func TestMask(t *testing.T) {
	if got := Mask("21505199012345"); got != "**********2345" {
		t.Errorf("Mask = %q", got)
	}
	if got := Mask("123"); got != "***" {
		t.Errorf("Mask(short) = %q", got)
	}
	tests := []struct{ in, want string }{
		{"check inn=01234567890123 ok", "check inn=**********0123 ok"},
		{"userId KG21505199012345", "userId KG**********2345"},
		{"/v1/persons/21505199012345/criminal-record", "/v1/persons/**********2345/criminal-record"},
		{"two 01234567890123,21505199012345", "two **********0123,**********2345"},
		{"ts 1767225600000000000 kept", "ts 1767225600000000000 kept"}, // 19 digits: not an id
		{"short 1234567890123 kept", "short 1234567890123 kept"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := MaskText(tt.in); got != tt.want {
			t.Errorf("MaskText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func BenchmarkMaskTextClean(b *testing.B) {
	s := "gateway: check finished service=central-server/GOV/70000002/gns-service/x/v1"
	for b.Loop() {
		_ = MaskText(s)
	}
}

// MaskText on a logged path holding an id, next to the regexp
// replacement it replaced (same output).
func BenchmarkMaskTextWithID(b *testing.B) {
	s := "/v1/suppliers/02207200800561/tax-debt"
	re := regexp.MustCompile(`\d{14,}`)
	baseline := func(s string) string {
		return re.ReplaceAllStringFunc(s, func(m string) string {
			if len(m) != Len {
				return m
			}
			return Mask(m)
		})
	}
	if MaskText(s) != baseline(s) {
		b.Fatalf("MaskText %q, regexp %q", MaskText(s), baseline(s))
	}
	b.Run("scan", func(b *testing.B) {
		for b.Loop() {
			_ = MaskText(s)
		}
	})
	b.Run("regexp-baseline", func(b *testing.B) {
		for b.Loop() {
			_ = baseline(s)
		}
	})
}
