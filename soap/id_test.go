package soap

import (
	"errors"
	"testing"
)

func TestParseClientID(t *testing.T) {
	tests := []struct {
		in        string
		want      ClientID
		typed     string
		wantError bool
	}{
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
	}
	for _, tt := range tests {
		got, err := ParseClientID(tt.in)
		if tt.wantError {
			if !errors.Is(err, &ValidationError{Code: CodeInvalidClientIdentifier}) {
				t.Errorf("ParseClientID(%q) = %v, %v; want InvalidClientIdentifier", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseClientID(%q) = %#v, %v; want %#v", tt.in, got, err, tt.want)
			continue
		}
		if got.Typed() != tt.typed {
			t.Errorf("Typed() = %q, want %q", got.Typed(), tt.typed)
		}
		if back, err := ParseClientID(got.String()); err != nil || back != got {
			t.Errorf("round trip of %q: %v, %v", got.String(), back, err)
		}
		if back, err := ParseClientID(got.Typed()); err != nil || back != got {
			t.Errorf("typed round trip of %q: %v, %v", got.Typed(), back, err)
		}
	}
}

func TestParseServiceID(t *testing.T) {
	tests := []struct {
		in        string
		want      ServiceID
		typed     string
		wantError bool
	}{
		{in: "central-server/GOV/70000002/gns-service/getX/v1", want: ServiceID{ClientID{"central-server", "GOV", "70000002", "gns-service"}, "getX", "v1"}, typed: "SERVICE:central-server/GOV/70000002/gns-service/getX/v1"},
		{in: "SERVICE:EE/BUSINESS/JODA/getState", want: ServiceID{ClientID{"EE", "BUSINESS", "JODA", ""}, "getState", ""}, typed: "SERVICE:EE/BUSINESS/JODA/getState"},
		{in: "EE/BUSINESS/JODA/sub/getState", want: ServiceID{ClientID{"EE", "BUSINESS", "JODA", "sub"}, "getState", ""}, typed: "SERVICE:EE/BUSINESS/JODA/sub/getState"},
		{in: "MEMBER:EE/BUSINESS/JODA/getState", wantError: true},
		{in: "EE/BUSINESS/JODA", wantError: true},
		{in: "EE/BUSINESS/JODA/a/b/c/d", wantError: true},
		{in: "EE/BUSINESS/JODA/sub/get:State", wantError: true},
		{in: "EE/BUSINESS/JODA/sub/getState/", wantError: true},
		{in: "EE/BUSINESS/JODA//getState", wantError: true},
	}
	for _, tt := range tests {
		got, err := ParseServiceID(tt.in)
		if tt.wantError {
			if !errors.Is(err, &ValidationError{Code: CodeInvalidServiceIdentifier}) {
				t.Errorf("ParseServiceID(%q) = %v, %v; want InvalidServiceIdentifier", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseServiceID(%q) = %#v, %v; want %#v", tt.in, got, err, tt.want)
			continue
		}
		if got.Typed() != tt.typed {
			t.Errorf("Typed() = %q, want %q", got.Typed(), tt.typed)
		}
		if back, err := ParseServiceID(got.Typed()); err != nil || back != got {
			t.Errorf("round trip of %q: %v, %v", got.Typed(), back, err)
		}
	}
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
