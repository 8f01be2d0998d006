package corpus

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDirFindsSoapCorpus(t *testing.T) {
	d := Dir(t, "soap")
	if _, err := os.Stat(filepath.Join(d, "expectations.tsv")); err != nil {
		t.Fatalf("corpus soap dir %s has no expectations.tsv: %v", d, err)
	}
}

func TestEnvOverride(t *testing.T) {
	t.Setenv(EnvVar, "/nonexistent/corpus")
	if got := Root(); got != "/nonexistent/corpus" {
		t.Errorf("Root() = %q, want the env override", got)
	}
}
