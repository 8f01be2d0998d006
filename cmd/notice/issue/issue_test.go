package issue

import (
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
	"github.com/tunduk-kg/tunduk/internal/adapter/notice"
)

func TestFlags(t *testing.T) {
	svc := "central-server/GOV/70000002/gns-service/tp/v1"
	for _, tc := range []struct {
		args     []string
		wantCode cli.ExitCode
		services int
		from     string
	}{
		{[]string{"--services", svc + "," + svc, "--text", "x", "--from", "2026-12-05T02:00:00+06:00"}, cli.ExitOK, 2, "2026-12-05T02:00:00+06:00"},
		{[]string{"--services", svc}, cli.ExitUsage, 0, ""},
		{[]string{"--text", "x"}, cli.ExitUsage, 0, ""},
		{[]string{"--services", svc, "--text", "x", "extra"}, cli.ExitFailure, 0, ""},
	} {
		var got *IssueOptions
		f, _ := clitest.New()
		cmd := NewCmdIssue(f, notice.Outage, func(o *IssueOptions) error { got = o; return nil })
		err := clitest.Run(f, cmd, tc.args...).Err
		if code := cli.CodeOf(err); code != tc.wantCode {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, code, err, tc.wantCode)
			continue
		}
		if err == nil && (len(got.Services) != tc.services || got.From != tc.from || got.Kind != notice.Outage) {
			t.Errorf("%v: got %+v", tc.args, got)
		}
	}
}
