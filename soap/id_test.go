package soap

import (
	"errors"
	"testing"
)

// idCase is one input of an identifier parser's table test.
type idCase[T comparable] struct {
	in        string
	want      T
	typed     string
	wantError bool
}

type identifier interface {
	comparable
	String() string
	Typed() string
}

// testParse runs parse (called name in messages) over tests: a bad input
// fails with a ValidationError of code; a good one gives want, prints as
// typed, and parses back from its plain and its typed form.
func testParse[T identifier](t *testing.T, name string, parse func(string) (T, error), code FaultCode, tests []idCase[T]) {
	t.Helper()
	for _, tt := range tests {
		got, err := parse(tt.in)
		if tt.wantError {
			if !errors.Is(err, &ValidationError{Code: code}) {
				t.Errorf("%s(%q) = %v, %v; want %s", name, tt.in, got, err, code)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s(%q) = %#v, %v; want %#v", name, tt.in, got, err, tt.want)
			continue
		}
		if got.Typed() != tt.typed {
			t.Errorf("Typed() = %q, want %q", got.Typed(), tt.typed)
		}
		if back, err := parse(got.String()); err != nil || back != got {
			t.Errorf("round trip of %q: %v, %v", got.String(), back, err)
		}
		if back, err := parse(got.Typed()); err != nil || back != got {
			t.Errorf("typed round trip of %q: %v, %v", got.Typed(), back, err)
		}
	}
}

func TestParseClientID(t *testing.T) {
	testParse(t, "ParseClientID", ParseClientID, CodeInvalidClientIdentifier, []idCase[ClientID]{
		{in: "central-server/GOV/70000002/gns-service", want: ClientID{"central-server", "GOV", "70000002", "gns-service"}, typed: "SUBSYSTEM:central-server/GOV/70000002/gns-service"},
		{in: "SUBSYSTEM:central-server/GOV/70000002/gns-service", want: ClientID{"central-server", "GOV", "70000002", "gns-service"}, typed: "SUBSYSTEM:central-server/GOV/70000002/gns-service"},
		{in: "EE/COMPANY/FOOBAR", want: ClientID{"EE", "COMPANY", "FOOBAR", ""}, typed: "MEMBER:EE/COMPANY/FOOBAR"},
		{in: "MEMBER:EE/COMPANY/FOOBAR", want: ClientID{"EE", "COMPANY", "FOOBAR", ""}, typed: "MEMBER:EE/COMPANY/FOOBAR"},
		{in: "EE/COM/x/mgmt service provider", want: ClientID{"EE", "COM", "x", "mgmt service provider"}, typed: "SUBSYSTEM:EE/COM/x/mgmt service provider"},
		{in: "MEMBER:EE/COMPANY/FOOBAR/SUB", wantError: true},
		{in: "SUBSYSTEM:EE/COMPANY/FOOBAR", wantError: true},
		{in: "SERVICE:EE/COMPANY/FOOBAR", wantError: true},
		{in: "EE/COMPANY", wantError: true},
		{in: "EE/COMPANY/FOO/BAR/BAZ", wantError: true},
		{in: "EE//FOO", wantError: true},
		{in: "EE/COMPANY/FOO/", wantError: true},
		{in: "EE/CO;MPANY/FOO", wantError: true},
		{in: "EE/CO%MPANY/FOO", wantError: true},
		{in: "EE/CO\\MPANY/FOO", wantError: true},
		{in: "EE/COMPANY/FO\x00O", wantError: true},
		{in: "EE/COMPANY/FO\u200bO", wantError: true},
		{in: "EE/COMPANY/ ", wantError: true},
		{in: "X:EE/COMPANY/FOO", wantError: true},
		{in: "EE/COMPANY/\xff", wantError: true},
	})
}

func TestParseServiceID(t *testing.T) {
	testParse(t, "ParseServiceID", ParseServiceID, CodeInvalidServiceIdentifier, []idCase[ServiceID]{
		{in: "central-server/GOV/70000002/gns-service/getX/v1", want: ServiceID{ClientID{"central-server", "GOV", "70000002", "gns-service"}, "getX", "v1"}, typed: "SERVICE:central-server/GOV/70000002/gns-service/getX/v1"},
		{in: "SERVICE:EE/BUSINESS/JODA/getState", want: ServiceID{ClientID{"EE", "BUSINESS", "JODA", ""}, "getState", ""}, typed: "SERVICE:EE/BUSINESS/JODA/getState"},
		{in: "EE/BUSINESS/JODA/sub/getState", want: ServiceID{ClientID{"EE", "BUSINESS", "JODA", "sub"}, "getState", ""}, typed: "SERVICE:EE/BUSINESS/JODA/sub/getState"},
		{in: "MEMBER:EE/BUSINESS/JODA/getState", wantError: true},
		{in: "EE/BUSINESS/JODA", wantError: true},
		{in: "EE/BUSINESS/JODA/a/b/c/d", wantError: true},
		{in: "EE/BUSINESS/JODA/sub/get:State", wantError: true},
		{in: "EE/BUSINESS/JODA/sub/getState/", wantError: true},
		{in: "EE/BUSINESS/JODA//getState", wantError: true},
	})
}

func TestParseSecurityServerID(t *testing.T) {
	got, err := ParseSecurityServerID("SERVER:EE/BUSINESS/123456789/bambi")
	if err != nil || got != (SecurityServerID{"EE", "BUSINESS", "123456789", "bambi"}) {
		t.Fatalf("got %v, %v", got, err)
	}
	if got.Typed() != "SERVER:EE/BUSINESS/123456789/bambi" {
		t.Errorf("Typed = %q", got.Typed())
	}
	for _, bad := range []string{"EE/BUSINESS/123", "MEMBER:EE/B/1/x", "EE/B/1/x:y"} {
		if _, err := ParseSecurityServerID(bad); err == nil {
			t.Errorf("ParseSecurityServerID(%q) accepted", bad)
		}
	}
}

func TestOtherIdentifiersPrint(t *testing.T) {
	for _, tt := range []struct {
		id   Identifier
		want string
	}{
		{GlobalGroupID{"EE", "perearstid"}, "GLOBALGROUP:EE/perearstid"},
		{LocalGroupID{"lokaalgrupp"}, "LOCALGROUP:lokaalgrupp"},
		{CentralServiceID{"EE", "central"}, "CENTRALSERVICE:EE/central"},
		{ClientID{"EE", "COMPANY", "FOOBAR", ""}, "MEMBER:EE/COMPANY/FOOBAR"},
	} {
		if got := tt.id.Typed(); got != tt.want {
			t.Errorf("%#v.Typed() = %q, want %q", tt.id, got, tt.want)
		}
	}
}
