package gateway

import (
	"fmt"
	"strings"

	"github.com/tunduk-kg/tunduk/internal/secretfile"
)

// ReadAPIKeyFile reads a caller's API key from a file under tunduk's one
// rule for secret files (internal/secretfile: 0600 or 0640, owned by the
// service user or root:tunduk); a key shorter than minLen characters is
// refused too. The key is
// never part of an error.
func ReadAPIKeyFile(path string, minLen int) (string, error) {
	b, err := secretfile.Read(path, secretfile.Current(), 1<<10)
	if err != nil {
		return "", fmt.Errorf("gateway: API key file: %w", err)
	}
	key := strings.TrimSpace(string(b))
	if len(key) < minLen {
		return "", fmt.Errorf("gateway: API key in %s is shorter than %d characters; use at least %d random characters (openssl rand -hex 32)", path, minLen, minLen)
	}
	return key, nil
}
