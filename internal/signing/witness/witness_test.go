package witness_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/tunduk-kg/tunduk/internal/signing/witness"
	"github.com/tunduk-kg/tunduk/signing/tlog"
)

const origin = "tunduk.test/mlog"

// log is a test log: a tree of leaves "<prefix><i>" and its checkpoints.
type log struct {
	t    *testing.T
	key  crypto.Signer
	tree *tlog.Tree
}

func newLog(t *testing.T, key crypto.Signer, prefix string, n int) *log {
	l := &log{t: t, key: key, tree: tlog.NewTree()}
	for i := 0; i < n; i++ {
		l.tree.Append(rfc6962.DefaultHasher.HashLeaf([]byte(fmt.Sprintf("%s%d", prefix, i))))
	}
	return l
}

func (l *log) checkpoint() []byte {
	root, _ := l.tree.Root(l.tree.Size())
	b, err := tlog.Checkpoint{Origin: origin, Size: l.tree.Size(), Root: root, Time: time.Now()}.Sign(origin, l.key)
	if err != nil {
		l.t.Fatal(err)
	}
	return b
}

func (l *log) request(old uint64) *witness.Request {
	var p [][]byte
	if old > 0 {
		var err error
		if p, err = l.tree.ConsistencyProof(old, l.tree.Size()); err != nil {
			l.t.Fatal(err)
		}
	}
	return &witness.Request{OldSize: old, Proof: p, Checkpoint: l.checkpoint()}
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func refused(err error, status int) bool {
	var r *witness.ErrRefused
	return errors.As(err, &r) && r.Status == status
}

// TestWitnessRefusesRewrittenLog: the witness takes a log's checkpoints
// while they extend what it holds, and refuses the same log rewritten and
// re-signed with the same key — also after a restart.
func TestWitnessRefusesRewrittenLog(t *testing.T) {
	key := newKey(t)
	dir := t.TempDir()
	opts := witness.Options{Dir: dir, Logs: map[string]crypto.PublicKey{origin: key.Public()}}
	srv, err := witness.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	c := &witness.Client{URL: ts.URL, HTTP: ts.Client()}

	honest := newLog(t, key, "record-", 3)
	if err := c.Add(honest.request(0)); err != nil {
		t.Fatalf("first checkpoint: %v", err)
	}
	honest = newLog(t, key, "record-", 5)
	if err := c.Add(honest.request(3)); err != nil {
		t.Fatalf("extended checkpoint: %v", err)
	}
	held := get(t, ts.URL)

	rewritten := newLog(t, key, "forged-", 6)
	if err := c.Add(rewritten.request(5)); !refused(err, http.StatusUnprocessableEntity) {
		t.Errorf("rewritten log with its own proof: %v", err)
	}
	var conflict *witness.ErrConflict
	if err := c.Add(rewritten.request(0)); !errors.As(err, &conflict) || conflict.Size != 5 {
		t.Errorf("rewritten log claiming a fresh start: %v", err)
	}
	sameSize := newLog(t, key, "forged-", 5)
	if err := c.Add(sameSize.request(5)); !refused(err, http.StatusUnprocessableEntity) {
		t.Errorf("rewritten log of the same size: %v", err)
	}
	if err := c.Add(newLog(t, newKey(t), "record-", 6).request(0)); !refused(err, http.StatusForbidden) {
		t.Errorf("another key: %v", err)
	}
	if !bytes.Equal(get(t, ts.URL), held) {
		t.Error("the held checkpoint changed")
	}

	// After a restart the witness still holds size 5.
	srv2, err := witness.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts2 := httptest.NewServer(srv2)
	defer ts2.Close()
	c2 := &witness.Client{URL: ts2.URL, HTTP: ts2.Client()}
	if err := c2.Add(rewritten.request(5)); !refused(err, http.StatusUnprocessableEntity) {
		t.Errorf("after restart, rewritten log: %v", err)
	}
	honest = newLog(t, key, "record-", 9)
	if err := c2.Add(honest.request(5)); err != nil {
		t.Errorf("after restart, honest extension: %v", err)
	}
}

func get(t *testing.T, base string) []byte {
	t.Helper()
	resp, err := http.Get(base + "/checkpoint/" + origin)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET checkpoint: %d %s", resp.StatusCode, b)
	}
	return b
}

func TestWitnessBadRequests(t *testing.T) {
	key := newKey(t)
	srv, err := witness.NewServer(witness.Options{Dir: t.TempDir(), Logs: map[string]crypto.PublicKey{origin: key.Public()}})
	if err != nil {
		t.Fatal(err)
	}
	cp := newLog(t, key, "r", 2).checkpoint()
	for name, tc := range map[string]struct {
		body string
		want int
	}{
		"no old line":    {"\n\n" + string(cp), http.StatusBadRequest},
		"bad proof hash": {"old 0\nnot-base64\n\n" + string(cp), http.StatusBadRequest},
		"unknown origin": {"old 0\n\nother.test/log\n1\nAAAA\n", http.StatusNotFound},
		"garbled note":   {"old 0\n\n" + origin + "\n2\n", http.StatusBadRequest},
	} {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("POST", "/add-checkpoint", bytes.NewBufferString(tc.body)))
		if rec.Code != tc.want {
			t.Errorf("%s: %d %s, want %d", name, rec.Code, rec.Body, tc.want)
		}
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/checkpoint/"+origin, nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("GET before any checkpoint: %d", rec.Code)
	}
}
