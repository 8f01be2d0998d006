package inspect

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	"github.com/tunduk-kg/tunduk/soap"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

func run(t *testing.T, stdin string, args ...string) (string, cli.ExitCode) {
	t.Helper()
	r := clitest.Verb(NewCmdInspect, stdin, args...)
	return r.Out + r.ErrOut, r.Code
}

func TestFlags(t *testing.T) {
	var got *InspectOptions
	f, _ := clitest.New()
	cmd := NewCmdInspect(f, func(o *InspectOptions) error { got = o; return nil })
	if err := clitest.Run(f, cmd, "--content-type", "multipart/related; boundary=x", "-").Err; err != nil || got.Path != "-" || got.ContentType != "multipart/related; boundary=x" {
		t.Errorf("%+v %v", got, err)
	}
	cmd = NewCmdInspect(f, func(*InspectOptions) error { return nil })
	if clitest.Run(f, cmd, "a", "b").Err == nil {
		t.Error("two files accepted")
	}
}

func TestInspect(t *testing.T) {
	dir := corpus.Dir(t, "soap")
	b, _ := os.ReadFile(filepath.Join(dir, "simple-representedparty.query"))
	f, s := clitest.New()
	s.In.Write(b)
	r := clitest.Run(f, NewCmdInspect(f, nil), "-")
	if r.Err != nil {
		t.Fatal(r.Err, r.ErrOut)
	}
	out := s.Out
	var d soap.Description
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if d.Header.Client != "MEMBER:EE/BUSINESS/consumer" || d.Header.Service != "SERVICE:EE/BUSINESS/producer/testQuery" ||
		d.Header.ID != "1234567890" || d.Header.RepresentedParty.PartyCode != "MEMBER3" || d.AsRequest != "valid" ||
		d.Body != "{http://cosumer.ee.xroad.net}testQuery" || len(d.HeaderFields) != 7 {
		t.Errorf("%s", out.String())
	}

	got, code := run(t, "", "--content-type", "multipart/related; charset=UTF-8; boundary=jetty771207119h3h10dty", filepath.Join(dir, "attachm.query"))
	if code != cli.ExitOK || !strings.Contains(got, `"multipart": true`) || !strings.Contains(got, `"contentType": "multipart/mixed`) {
		t.Errorf("multipart: %d %s", code, got)
	}
	got, code = run(t, "", filepath.Join(dir, "no-header.query"))
	if code != cli.ExitOK || !strings.Contains(got, `"asRequest": "Client.MissingHeader: `) {
		t.Errorf("no header: %d %s", code, got)
	}
	got, code = run(t, "", filepath.Join(dir, "empty.query"))
	if code != cli.ExitInvalid || !strings.Contains(got, "Client.InvalidSoap") {
		t.Errorf("empty: %d %s", code, got)
	}
}
