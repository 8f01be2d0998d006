package tombstone_test

import (
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/tombstone"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
)

func TestBuildParseVerify(t *testing.T) {
	key, cert := certstest.Signing(t)
	in := &tombstone.Tombstone{Archive: "mlog-20230101000000-20230102000000-0123456789abcdef.zip", PrevDigest: "-", PrevArchive: "-",
		LastDigest: "0123456789abcdef00", Containers: 7, FileSHA512: "ff", Retention: "3y", Removed: time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)}
	c, err := tombstone.Build(in, key, cert, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verify.New(verify.Options{}).Container(c); err != nil {
		t.Fatalf("tombstone does not verify: %v", err)
	}
	got, err := tombstone.Parse(c)
	if err != nil {
		t.Fatal(err)
	}
	if got.Archive != in.Archive || got.LastDigest != in.LastDigest || got.Containers != 7 || !got.Removed.Equal(in.Removed) || got.Name() != in.Archive+tombstone.Suffix {
		t.Fatalf("round trip: %+v", got)
	}
	if _, err := tombstone.Build(&tombstone.Tombstone{Archive: "x.zip"}, key, cert, time.Now); err == nil {
		t.Fatal("built a tombstone without a last digest")
	}
	if _, err := tombstone.Parse([]byte("not a zip")); err == nil {
		t.Fatal("parsed garbage")
	}
}
