// Package pgtest gives tests a throwaway PostgreSQL database on the server
// named by TUNDUK_TEST_POSTGRES_URL (.ci/run starts one). Without it tests
// skip with a message, and fail under TUNDUK_REQUIRE_TOOLS=1. Only tests
// import it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ServerURL returns TUNDUK_TEST_POSTGRES_URL, or skips (fails under
// TUNDUK_REQUIRE_TOOLS=1) without it.
func ServerURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("TUNDUK_TEST_POSTGRES_URL")
	if u == "" {
		msg := "TUNDUK_TEST_POSTGRES_URL not set; start PostgreSQL (apt-get install postgresql) and set it, as .ci/run does"
		if os.Getenv("TUNDUK_REQUIRE_TOOLS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return u
}

// NewDatabase creates a database with a random name on the server at
// serverURL, drops it when the test ends and returns its URL.
func NewDatabase(t testing.TB, serverURL string) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "tunduk_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		t.Fatalf("pgtest: connect to TUNDUK_TEST_POSTGRES_URL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, serverURL)
		if err != nil {
			t.Logf("pgtest: drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("pgtest: drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(serverURL)
	if err != nil {
		t.Fatalf("pgtest: TUNDUK_TEST_POSTGRES_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}
