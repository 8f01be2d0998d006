package msglog_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/tsa"
	"github.com/tunduk-kg/tunduk/internal/signing/tsa/tsatest"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
)

// TestBatchTimestamps seals batches with RFC 3161 stamps from a loopback
// TSA and checks the verifier accepts them, with one TSA request per batch.
func TestBatchTimestamps(t *testing.T) {
	srv := tsatest.NewServer()
	defer srv.Close()
	client, err := tsa.New(tsa.Options{URL: srv.URL, Hash: crypto.SHA512, Roots: srv.Roots})
	if err != nil {
		t.Fatal(err)
	}
	stamper := msglog.TimestamperFunc(func(ctx context.Context, data []byte) ([]byte, error) {
		tok, err := client.TimestampData(ctx, data)
		if err != nil {
			return nil, err
		}
		return tok.DER, nil
	})
	dir := t.TempDir()
	l := openLog(t, dir, func(o *msglog.Options) { o.TSA = stamper })
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		if _, err := l.Append(ctx, exchange(i, "central-server/GOV/70000001/portal")); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if n := srv.Requests(); n < 1 || n > 20 {
		t.Fatalf("%d TSA requests for 20 records", n)
	}
	stamped := 0
	as, _ := msglog.ListArchives(filepath.Join(dir, "archive"))
	msglog.ReadArchive(as[0].Path, nil, func(_ string, c []byte, _ *msglog.Record) error {
		zr, _ := zip.NewReader(bytes.NewReader(c), int64(len(c)))
		for _, f := range zr.File {
			if f.Name == "META-INF/signatures.xml" {
				rc, _ := f.Open()
				sig, _ := io.ReadAll(rc)
				if bytes.Contains(sig, []byte("EncapsulatedTimeStamp")) {
					stamped++
				}
			}
		}
		return nil
	})
	if stamped != 20 {
		t.Fatalf("%d of 20 containers carry a time-stamp", stamped)
	}
	rep, err := verify.New(verify.Options{}).Paths([]string{filepath.Join(dir, "archive")}, verify.ChainOptions{First: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Valid() || rep.Containers != 40 { // format 2: request and response containers
		var b bytes.Buffer
		rep.WriteText(&b)
		t.Fatalf("stamped archive: %s", b.String())
	}
}

// TestSealLandsAfterLaterRecords pins the case the crash test found:
// records appended while a batch is being signed get sequence numbers
// below the batch's seal record; a rotation that runs while those records
// are being signed in turn archives the first batch but must start its
// next scan before that seal, so the next rotation meets the seal again
// and must skip it.
func TestSealLandsAfterLaterRecords(t *testing.T) {
	srv := tsatest.NewServer()
	defer srv.Close()
	client, err := tsa.New(tsa.Options{URL: srv.URL, Hash: crypto.SHA512, Roots: srv.Roots})
	if err != nil {
		t.Fatal(err)
	}
	var l *msglog.Log
	calls := 0
	stamper := msglog.TimestamperFunc(func(ctx context.Context, data []byte) ([]byte, error) {
		calls++
		switch calls {
		case 1: // sealing records 1..3: records 4 and 5 arrive
			for i := 10; i < 12; i++ {
				if _, err := l.Append(ctx, exchange(i, "")); err != nil {
					return nil, err
				}
			}
		case 2: // sealing 4..5: a rotation archives 1..3 meanwhile
			if err := l.RotateSealed(ctx); err != nil {
				return nil, err
			}
		}
		tok, err := client.TimestampData(ctx, data)
		if err != nil {
			return nil, err
		}
		return tok.DER, nil
	})
	dir := t.TempDir()
	l = openLog(t, dir, func(o *msglog.Options) { o.TSA = stamper; o.BatchInterval = time.Hour })
	defer l.Close()
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := l.Append(ctx, exchange(i, "")); err != nil {
			t.Fatal(err)
		}
	}
	// The first Seal signs 1..3; 4 and 5 arrive meanwhile and wait for
	// the second (a Seal that chased the appends would sign batch after
	// batch of the few records each fsync brings).
	if err := l.Seal(ctx); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Fatalf("the first Seal made %d TSA calls; it must sign only the records pending when it was called", calls)
	}
	if err := l.Seal(ctx); err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Fatalf("%d TSA calls; the test needs two batches", calls)
	}
	if err := l.Rotate(ctx); err != nil {
		t.Fatalf("second rotation: %v", err)
	}
	rep, err := verify.New(verify.Options{}).Paths([]string{filepath.Join(dir, "archive")}, verify.ChainOptions{First: true})
	if err != nil || !rep.Valid() || rep.Containers != 10 {
		t.Fatalf("valid=%v containers=%d err=%v", rep.Valid(), rep.Containers, err)
	}
}
