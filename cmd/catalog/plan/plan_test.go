package plan

import (
	"testing"

	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
)

// The verb takes the comparing verbs' flags (see catalogflags.TestCompareFlags).
func TestFlags(t *testing.T) {
	got, _, err := clitest.Parse(NewCmdPlan, "--json", "cat")
	if err != nil || got.Target.Arg != "cat" || got.Output != "json" {
		t.Errorf("got %+v, %v", got, err)
	}
}
