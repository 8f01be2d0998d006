package gateway

import (
	"fmt"
	"os"
	"strings"
)

// ReadAPIKeyFile reads a caller's API key from a file. A key file readable
// by others than its owner is refused (the key would no longer be a
// secret), and so is a key shorter than minLen characters. The key is
// never part of an error.
func ReadAPIKeyFile(path string, minLen int) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("gateway: API key file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("gateway: API key file %s is readable by group or others (mode %v); chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("gateway: API key file: %w", err)
	}
	key := strings.TrimSpace(string(b))
	if len(key) < minLen {
		return "", fmt.Errorf("gateway: API key in %s is shorter than %d characters; use at least %d random characters (openssl rand -hex 32)", path, minLen, minLen)
	}
	return key, nil
}
