package policy_test

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/tunduk-kg/tunduk/cmd/archive/policy"
	"github.com/tunduk-kg/tunduk/cmd/cli"
	"github.com/tunduk-kg/tunduk/cmd/cli/clitest"
)

func TestPolicyFromConfig(t *testing.T) {
	cfg := clitest.WriteConfig(t, "", `messageLog:
  metadataOnly: true
  groupBy: subsystem
  retention:
    groups: {central-server/GOV/70000001/portal: 5y}
  access:
    roles:
      - name: auditor
        description: State Audit Chamber auditors
        users: [alice]
        actions: [search, export]
        purposes: [audit, court-order]
        conditions: a written request registered in the document system
`)
	r := clitest.Exec(func(f *cli.Factory) *cobra.Command { return policy.NewCmdPolicy(f, nil) }, "--config", cfg)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	doc := r.Out
	for _, want := range []string{
		"| all groups (default) | 3 years |",
		"| central-server/GOV/70000001/portal | 5 years |",
		"NOT archived (metadata-only mode)",
		"### Role `auditor`", "State Audit Chamber auditors", "accounts: alice", "may: search, export",
		"one of: audit, court-order", "conditions: a written request",
		"one chain per subsystem", "tombstone",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("document lacks %q", want)
		}
	}
	if strings.Contains(doc, "exact bytes as sent") {
		t.Error("metadata-only document claims bodies are archived")
	}
}
