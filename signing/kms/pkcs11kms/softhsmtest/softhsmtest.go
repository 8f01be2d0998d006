// Package softhsmtest gives tests a real PKCS#11 token: SoftHSM2, set up
// once per test binary in a temporary directory. It is the one SoftHSM2
// helper of the repository; like every test that needs an external tool,
// it skips when SoftHSM2 is not installed and fails instead when
// TUNDUK_REQUIRE_TOOLS=1 (CI installs softhsm2, see .ci/run).
//
// Only tests import it.
//
// Public API: tests of PKCS #11 code may import this package to set up a SoftHSM2 token. Everything under internal/ is tunduk's own and may change
// without notice.
package softhsmtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// Module is the SoftHSM2 PKCS#11 library as Debian and Ubuntu install it.
const Module = "/usr/lib/softhsm/libsofthsm2.so"

// SOPIN is the security officer PIN of every token made here.
const SOPIN = "87654321"

var (
	mu     sync.Mutex
	dir    string
	tokens = map[string]error{}
)

// Token makes sure a token labelled label with user PIN pin exists and
// returns the module path to load. The token store lives in one
// temporary directory per test binary, named by SOFTHSM2_CONF, because the
// module reads its configuration once per process. Call Cleanup from
// TestMain to remove it.
func Token(tb testing.TB, label, pin string) string {
	tb.Helper()
	corpus.RequireTool(tb, "softhsm2-util", "apt-get install softhsm2")
	corpus.RequireFile(tb, Module, "apt-get install softhsm2")
	mu.Lock()
	defer mu.Unlock()
	err, done := tokens[label]
	if !done {
		err = initToken(label, pin)
		tokens[label] = err
	}
	if err != nil {
		tb.Fatal(err)
	}
	return Module
}

func initToken(label, pin string) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "tunduk-softhsm-")
		if err != nil {
			return err
		}
		conf := filepath.Join(d, "softhsm2.conf")
		if err := os.Mkdir(filepath.Join(d, "tokens"), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(conf, []byte("directories.tokendir = "+filepath.Join(d, "tokens")+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600); err != nil {
			return err
		}
		if err := os.Setenv("SOFTHSM2_CONF", conf); err != nil {
			return err
		}
		dir = d
	}
	out, err := exec.Command("softhsm2-util", "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", SOPIN).CombinedOutput()
	if err != nil {
		return fmt.Errorf("softhsmtest: softhsm2-util --init-token: %v: %s", err, out)
	}
	return nil
}

// Cleanup removes the token store; call it from TestMain after m.Run.
func Cleanup() {
	mu.Lock()
	defer mu.Unlock()
	if dir != "" {
		os.RemoveAll(dir)
		dir = ""
		tokens = map[string]error{}
	}
}
