// Package asictest gathers real message-log containers and archives (the
// X-Road conformance corpus's and the repository's testdata/msglog
// vectors) to seed the fuzzers and table tests of the container, archive
// and signature parsers, and has xmlsec1 check the signatures we write.
package asictest

import (
	"archive/zip"
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// maxInner caps the containers taken from inside archives, so that seeds
// stay few enough for a fuzzer's start-up.
const maxInner = 40

// Seeds returns the corpus's ASiC containers plus up to maxInner more taken
// from inside the archives, and the archives: the corpus's and
// testdata/msglog's. Without the corpus only the testdata ones are there.
func Seeds(tb testing.TB) (containers, archives [][]byte) {
	tb.Helper()
	// Files fails the test without the corpus under TUNDUK_REQUIRE_TOOLS=1.
	asice := corpus.Files(tb, "asic/*/*.asice")
	for _, name := range slices.Sorted(maps.Keys(asice)) {
		containers = append(containers, asice[name])
	}
	var paths []string
	if root := corpus.Root(); root != "" {
		for _, g := range []string{"archive/*.zip", "archive/*/*.zip"} {
			m, _ := filepath.Glob(filepath.Join(root, g))
			paths = append(paths, m...)
		}
	}
	_, file, _, _ := runtime.Caller(0) // <repo>/internal/signing/msglog/asic/asictest/asictest.go
	m, _ := filepath.Glob(filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "..", "testdata", "msglog", "*", "*.zip"))
	paths = append(paths, m...)
	inner := 0
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		archives = append(archives, b)
		for _, c := range entries(b, func(name string) bool { return strings.HasSuffix(name, ".asice") }) {
			if inner < maxInner {
				containers = append(containers, c)
				inner++
			}
		}
	}
	return containers, archives
}

// Entries returns the distinct contents, at most 30, of the entries named
// one of names in the containers Seeds returns.
func Entries(tb testing.TB, names ...string) [][]byte {
	tb.Helper()
	cs, _ := Seeds(tb)
	var out [][]byte
	seen := map[string]bool{}
	for _, c := range cs {
		for _, e := range entries(c, func(name string) bool { return slices.Contains(names, name) }) {
			if !seen[string(e)] && len(out) < 30 {
				seen[string(e)] = true
				out = append(out, e)
			}
		}
	}
	return out
}

// entries returns the contents of the zip entries of b whose name want
// accepts; b that is no zip has none.
func entries(b []byte, want func(name string) bool) [][]byte {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil
	}
	var out [][]byte
	for _, f := range zr.File {
		if !want(f.Name) {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			continue
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		out = append(out, data)
	}
	return out
}

// Xmlsec1 has xmlsec1 (libxml2 + OpenSSL, an implementation independent of
// ours) verify c's signature trusting ca alone: signatures.xml, with the
// entries its references name (message.xml for a direct signature,
// sig-hashchainresult.xml for a batch one) mapped by --url-map. It returns
// xmlsec1's output and its verdict (nil: the signature verifies). Without
// xmlsec1 the test skips, or fails with TUNDUK_REQUIRE_TOOLS=1.
func Xmlsec1(t testing.TB, ca *x509.Certificate, c *asic.Container) ([]byte, error) {
	t.Helper()
	xmlsec := corpus.RequireTool(t, "xmlsec1", "apt-get install xmlsec1")
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	args := []string{"--verify", "--trusted-pem", write("ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})),
		"--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
		"--url-map:/message.xml", write("message.xml", c.Message)}
	if c.SigHashChainResult != nil {
		args = append(args, "--url-map:/sig-hashchainresult.xml", write("sig-hashchainresult.xml", c.SigHashChainResult))
	}
	args = append(args, write("signatures.xml", c.Signature))
	return exec.Command(xmlsec, args...).CombinedOutput()
}
