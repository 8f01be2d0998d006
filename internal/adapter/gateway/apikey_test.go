package gateway

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadAPIKeyFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := strings.Repeat("k", 40)
	if key, err := ReadAPIKeyFile(write("ok", good+"\n", 0o600), 32); err != nil || key != good {
		t.Errorf("private key file: %q, %v", key, err)
	}
	// The one rule for secrets allows 0640 (root:tunduk, as packaged).
	if key, err := ReadAPIKeyFile(write("group-readable", good, 0o640), 32); err != nil || key != good {
		t.Errorf("0640 key file: %q, %v", key, err)
	}
	for _, tc := range []struct {
		name, body string
		mode       os.FileMode
		want       string
	}{
		{"shared", good, 0o644, "chmod 600"},
		{"group-writable", good, 0o660, "group change it"},
		{"short", "short", 0o600, "shorter than 32"},
	} {
		_, err := ReadAPIKeyFile(write(tc.name, tc.body, tc.mode), 32)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), good) {
			t.Errorf("%s: the key is in the error", tc.name)
		}
	}
	if _, err := ReadAPIKeyFile(filepath.Join(dir, "missing"), 32); err == nil {
		t.Error("missing file accepted")
	}
}
