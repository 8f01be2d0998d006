package evidence_test

import (
	"bytes"
	"context"
	"crypto"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/evidence"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/witness"
)

// TestWitnessedLogCannotBeRewritten: the log pushes every checkpoint to a
// witness; a log rewritten from scratch under the same key and origin
// (another directory, other records) is refused by the witness, which
// keeps the honest checkpoint.
func TestWitnessedLogCannotBeRewritten(t *testing.T) {
	signer, cert := certstest.Signing(t)
	const origin = "tunduk.test/mlog"
	srv, err := witness.NewServer(witness.Options{Dir: t.TempDir(), Logs: map[string]crypto.PublicKey{origin: signer.Public()}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	run := func(dir string, n int, logger *zap.Logger) *evidence.Log {
		ev, err := evidence.Open(evidence.Options{Dir: filepath.Join(dir, "ev"), Origin: origin, Signer: signer,
			Certificate: cert, Witnesses: []string{ts.URL}, Logger: logger})
		if err != nil {
			t.Fatal(err)
		}
		l, err := msglog.Open(msglog.Options{Dir: filepath.Join(dir, "log"), ArchiveDir: filepath.Join(dir, "archive"),
			Signer: signer, Certificate: cert, BatchInterval: time.Hour, RotateInterval: time.Hour, Evidence: ev})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			if _, err := l.Append(context.Background(), exchange(i, "")); err != nil {
				t.Fatal(err)
			}
			if err := l.Seal(context.Background()); err != nil { // one checkpoint per record
				t.Fatal(err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		ev.Flush()
		return ev
	}
	honest := run(t.TempDir(), 3, nil)
	defer honest.Close()
	if got := held(t, ts.URL, origin); !bytes.Equal(got, honest.Checkpoint("")) {
		t.Fatalf("witness holds %q, want the log's latest %q", got, honest.Checkpoint(""))
	}

	core, logs := observer.New(zap.WarnLevel)
	forged := run(t.TempDir(), 5, zap.New(core))
	defer forged.Close()
	if got := held(t, ts.URL, origin); !bytes.Equal(got, honest.Checkpoint("")) {
		t.Errorf("witness took the rewritten log's checkpoint:\n%s", got)
	}
	if logs.FilterMessage("evidence: witness did not take the checkpoint").Len() == 0 {
		t.Error("the rewritten log's refused pushes were not logged")
	}
}

func held(t *testing.T, base, origin string) []byte {
	t.Helper()
	resp, err := http.Get(base + "/checkpoint/" + origin)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}
