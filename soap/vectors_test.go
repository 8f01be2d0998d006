package soap_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/soap"
)

// TestVectors walks testdata/soap/cases.tsv: hand-made messages for what
// X-Road's corpus does not cover (hostile XML, charsets, Tunduk
// identifiers), each with the verdict a security server would give.
func TestVectors(t *testing.T) {
	dir := filepath.Join("..", "testdata", "soap")
	f, err := os.Open(filepath.Join(dir, "cases.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	total, failed := 0, 0
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 5 {
			t.Fatalf("cases.tsv: %q has %d columns", sc.Text(), len(c))
		}
		file, ct, roleName, want, desc := c[0], c[1], c[2], c[3], c[4]
		role := soap.RoleRequest
		if roleName == "response" {
			role = soap.RoleResponse
		}
		total++
		in, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		m, err := soap.ParseBytes(in, ct, soap.Limits{})
		if err == nil {
			err = m.Validate(role)
			if string(m.Bytes()) != string(in) {
				t.Errorf("%s: round trip differs", file)
			}
		}
		got := "valid"
		if err != nil {
			got = soap.FaultCodeFor(err, role)
		}
		if got != want {
			failed++
			t.Errorf("%s (%s): %s (%v), want %s", file, desc, got, err, want)
		}
	}
	if total < 20 {
		t.Errorf("only %d vectors", total)
	}
	t.Logf("%d of %d vectors failed", failed, total)
}
