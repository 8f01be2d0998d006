// Package corpus locates X-Road's conformance corpus (specs, schemas and the
// X-Road project's own test messages, containers and archives) for tests.
//
// The corpus is read in place, never copied into this repository. It is
// looked up in $TUNDUK_CONFORMANCE_DIR, else in ../shared/conformance/xroad
// relative to the repository root.
//
// Public API: tests may import this package to locate X-Road's conformance corpus. Everything under internal/ is tunduk's own and may change
// without notice.
package corpus

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// EnvVar overrides where the corpus is read from.
const EnvVar = "TUNDUK_CONFORMANCE_DIR"

// Root returns the corpus directory, or "" when it cannot be found.
func Root() string {
	if d := os.Getenv(EnvVar); d != "" {
		return d
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	// file is <repo>/soap/xroadtest/corpus/corpus.go
	repo := filepath.Join(filepath.Dir(file), "..", "..", "..")
	d := filepath.Clean(filepath.Join(repo, "..", "shared", "conformance", "xroad"))
	if st, err := os.Stat(d); err == nil && st.IsDir() {
		return d
	}
	return ""
}

// Dir returns a sub-directory of the corpus (e.g. "soap"), skipping the test
// when the corpus is absent, or failing it when TUNDUK_REQUIRE_TOOLS=1 (CI),
// where a silently skipped conformance suite would hide regressions.
func Dir(tb testing.TB, sub string) string {
	tb.Helper()
	root := Root()
	if root == "" {
		msg := "X-Road conformance corpus not found: put it at ../shared/conformance/xroad beside the repository " +
			"or set " + EnvVar + " (it is built from nordic-institute/X-Road's test resources; see README)"
		Missing(tb, msg)
	}
	d := filepath.Join(root, sub)
	if _, err := os.Stat(d); err != nil {
		tb.Fatalf("conformance corpus at %s lacks %s: %v", root, sub, err)
	}
	return d
}

// Files returns the contents of the corpus files matching pattern (a
// filepath.Match pattern below the corpus root, e.g. "soap/*.query"), by
// path below the root, for seeding fuzzers and table tests. Without the
// corpus it returns none and the caller goes on with its own inputs,
// except under TUNDUK_REQUIRE_TOOLS=1 (CI), where it fails the test; a
// pattern that matches nothing in a present corpus fails too, so that a
// moved directory cannot quietly empty a suite.
func Files(tb testing.TB, pattern string) map[string][]byte {
	tb.Helper()
	root := Root()
	if root == "" {
		if os.Getenv("TUNDUK_REQUIRE_TOOLS") == "1" {
			tb.Fatalf("X-Road conformance corpus not found (set %s): %s cannot be read", EnvVar, pattern)
		}
		tb.Logf("X-Road conformance corpus not found (set %s): going on without %s", EnvVar, pattern)
		return nil
	}
	paths, err := filepath.Glob(filepath.Join(root, pattern))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("conformance corpus at %s has no %s (%v)", root, pattern, err)
	}
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = b
	}
	return out
}

// RequireTool skips (or, with TUNDUK_REQUIRE_TOOLS=1, fails) a test when an
// external program such as xmlsec1 or softhsm2-util is not installed, and
// returns its path otherwise.
func RequireTool(tb testing.TB, name, install string) string {
	tb.Helper()
	p, err := exec(name)
	if err != nil {
		Missing(tb, name+" not installed; install it with: "+install)
	}
	return p
}

// RequireFile is RequireTool for a file a tool installs (a PKCS#11
// module, a schema).
func RequireFile(tb testing.TB, path, install string) {
	tb.Helper()
	if _, err := os.Stat(path); err != nil {
		Missing(tb, path+" missing; install it with: "+install)
	}
}

// Missing skips the test with msg, or fails it when TUNDUK_REQUIRE_TOOLS=1
// (CI), where a silently skipped suite would hide regressions.
func Missing(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("TUNDUK_REQUIRE_TOOLS") == "1" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

// Expectation is one row of the corpus's soap/expectations.tsv: what
// X-Road's proxy suite expects of one message file.
type Expectation struct {
	Line                                          int // in the file, for messages
	File, Role, ContentType, HTTPExtras, CTSource string
	Outcome, FaultCodeOld, FaultCodeNew           string
	TestClass, Scope, Cause, Verdict, Detect      string
	Notes                                         string
}

// Expectations reads expectations.tsv of the corpus's soap directory dir
// (see Dir): a header, then rows of 14 tab-separated columns.
func Expectations(tb testing.TB, dir string) []Expectation {
	tb.Helper()
	f, err := os.Open(filepath.Join(dir, "expectations.tsv"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var rows []Expectation
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if n == 1 {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 14 {
			tb.Fatalf("expectations.tsv:%d: %d columns, want 14", n, len(c))
		}
		rows = append(rows, Expectation{n, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12], c[13]})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return rows
}
