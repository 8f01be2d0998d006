package xroadtest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

func corpusDir(t *testing.T) string { return corpus.Dir(t, "soap") }

func readFile(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
