package soap

import (
	"errors"
	"fmt"
	"testing"
)

func TestNormalizeFaultCode(t *testing.T) {
	for in, want := range map[string]string{
		"server.serverproxy.service_failed.missing_header": "Server.ServerProxy.ServiceFailed.MissingHeader",
		"Server.ServerProxy.ServiceFailed.MissingHeader":   "Server.ServerProxy.ServiceFailed.MissingHeader",
		"client.invalid_soap_action":                       "Client.InvalidSoapAction",
		"client.invalid_xml":                               "Client.InvalidXml",
		"server.serverproxy.service_failed.io_error":       "Server.ServerProxy.ServiceFailed.IOError",
		"server.serverproxy.service_failed.unknown_host":   "Server.ServerProxy.ServiceFailed.NetworkError",
		"server.clientproxy.ssl_authentication_failed":     "Server.ClientProxy.SslAuthenticationFailed",
		"missing_header":                                   "MissingHeader",
		"soap:Server":                                      "soap:Server",
		"CODE":                                             "CODE",
		"client.code":                                      "Client.Code",
	} {
		if got := NormalizeFaultCode(in); got != want {
			t.Errorf("NormalizeFaultCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidationErrorIs(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", &ValidationError{Code: CodeInvalidSoap, Err: ErrDTD})
	if !errors.Is(err, &ValidationError{Code: CodeInvalidSoap}) {
		t.Error("Is on code failed")
	}
	if errors.Is(err, &ValidationError{Code: CodeInvalidBody}) {
		t.Error("Is matched a different code")
	}
	if !errors.Is(err, ErrDTD) {
		t.Error("sentinel not found")
	}
	if got := FaultCodeFor(err, RoleRequest); got != "Client.InvalidSoap" {
		t.Errorf("FaultCodeFor request = %q", got)
	}
	if got := FaultCodeFor(&ValidationError{Code: CodeMissingSoap}, RoleResponse); got != "Server.ServerProxy.ServiceFailed.InvalidMessage" {
		t.Errorf("FaultCodeFor response = %q", got)
	}
	if got := FaultCodeFor(errors.New("x"), RoleRequest); got != "Client.InternalError" {
		t.Errorf("FaultCodeFor plain = %q", got)
	}
}
