package serve

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
)

// serve runs tunduk config check's checks at start and reports every
// problem at once, each at its line, instead of one per restart; --check
// does the same and exits.
func TestServeReportsEveryProblemAtStart(t *testing.T) {
	dir := t.TempDir()
	cfgPath := clitest.WriteConfig(t, dir, `gateway:
  listen: 127.0.0.1:0
  callers: [{name: portal, apiKeyFile: portal.key, checks: ["*"]}]
  mappingsDir: mappings
  maxInFlight: lots
`)
	for _, check := range []bool{false, true} {
		var errOut bytes.Buffer
		o := testOptions(cfgPath, &errOut)
		o.Check = check
		err := serveRun(context.Background(), o)
		var ee *cli.ExitError
		if !errors.As(err, &ee) || ee.Code != cli.ExitInvalid || !strings.Contains(ee.Msg, "4 problems") {
			t.Fatalf("check=%v: serveRun = %v, want exit 1 naming 4 problems", check, err)
		}
		for _, w := range []string{
			cfgPath + `:3: gateway.callers[0].apiKeyFile: file ` + filepath.Join(dir, "portal.key") + ` does not exist`,
			cfgPath + `:4: gateway.mappingsDir: directory ` + filepath.Join(dir, "mappings") + ` does not exist`,
			cfgPath + `:5: gateway.maxInFlight: the text "lots" is not a whole number`,
			`messageLog.signingKey: empty, but the gateway records every exchange in the signed message log`,
		} {
			if !strings.Contains(errOut.String(), w) {
				t.Errorf("check=%v: stderr:\n%s\nwant %q", check, errOut.String(), w)
			}
		}
	}
}
