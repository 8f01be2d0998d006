package tombstone_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/tombstone"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
)

func TestBuildParseVerify(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "t"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	cert, _ := x509.ParseCertificate(der)
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
