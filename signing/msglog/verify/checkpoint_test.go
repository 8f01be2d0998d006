package verify_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tunduk-kg/tunduk/internal/signing/evidence/evidencetest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
)

const cpMember = "KG/GOV/70000001"

// checkpointed writes a signed log with evidence for cpMember (n records
// of every layout, one rotation) and returns the group's archive
// directory, its latest checkpoint and the log's public key.
func checkpointed(t *testing.T, n int) (string, []byte, crypto.PublicKey) {
	t.Helper()
	f := evidencetest.Open(t, evidencetest.Options{GroupBy: msglog.GroupMember})
	defer f.Close()
	l := f.Log
	for i := 0; i < n; i++ {
		r := &msglog.Record{Type: msglog.TypeExchange, Member: cpMember, Exchange: &msglog.Exchange{
			Direction: "consumer", Protocol: "soap", Check: "tax-debt", MessageID: fmt.Sprintf("m%d", i),
			Request:  msglog.Message{ContentType: "text/xml", Body: []byte(fmt.Sprintf("<q n='%d'/>", i))},
			Response: msglog.Message{ContentType: "text/xml", Status: 200, Body: []byte(fmt.Sprintf("<a n='%d'/>", i))}}}
		switch i % 3 {
		case 1:
			r.Exchange.Protocol = "rest"
			r.Exchange.Request = msglog.Message{Method: "GET", URL: "https://ss/r1/x"}
			r.Exchange.Response = msglog.Message{Status: 200, ContentType: "application/json", Body: []byte(`{"n":1}`)}
		case 2:
			r = &msglog.Record{Type: msglog.TypeArchiveRead, Member: cpMember, Event: &msglog.Event{Actor: "a", Action: "search"}}
		}
		if _, err := l.Append(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return msglog.GroupDir(f.Archive, cpMember), f.Evidence.Checkpoint(cpMember), f.Certificate.PublicKey
}

func verifyWith(t *testing.T, dir string, cp []byte, key crypto.PublicKey) *verify.Report {
	t.Helper()
	rep, err := verify.New(verify.Options{}).Paths([]string{dir}, verify.ChainOptions{First: true, CheckpointKey: key,
		Checkpoints: []verify.HeldCheckpoint{{File: "held", Signed: cp}}})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func cpCodes(rep *verify.Report) string {
	var c []string
	for _, f := range rep.Files {
		for _, p := range f.Problems {
			c = append(c, p.Code)
		}
	}
	for _, r := range rep.Checkpoints {
		if !r.Valid {
			c = append(c, r.Code)
		}
	}
	return strings.Join(c, ",")
}

// TestCheckpointAnyByteChanged flips each byte of the held checkpoint and
// of the archive (one bit each): every change fails archive verification
// with a named code — the checkpoint's as Checkpoint.Format or
// Checkpoint.Signature, the archive's as an X-Road code or Checkpoint.*.
func TestCheckpointAnyByteChanged(t *testing.T) {
	dir, cp, key := checkpointed(t, 3)
	if rep := verifyWith(t, dir, cp, key); !rep.Valid() || len(rep.Checkpoints) != 1 || rep.Checkpoints[0].ArchiveSize != 3 {
		t.Fatalf("unchanged: %s %+v", cpCodes(rep), rep.Checkpoints)
	}
	seen := map[string]int{}
	for i := range cp {
		bad := append([]byte(nil), cp...)
		bad[i] ^= 0x01
		rep := verifyWith(t, dir, bad, key)
		c := cpCodes(rep)
		if rep.Valid() || !strings.HasPrefix(c, "Checkpoint.") {
			t.Errorf("checkpoint byte %d (%q) changed: valid=%v codes %q", i, cp[i], rep.Valid(), c)
		}
		seen[c]++
	}
	t.Logf("checkpoint: %d mutations: %v", len(cp), seen)

	names, _ := filepath.Glob(filepath.Join(dir, "mlog-*.zip"))
	if len(names) != 1 {
		t.Fatalf("archives %v", names)
	}
	orig, err := os.ReadFile(names[0])
	if err != nil {
		t.Fatal(err)
	}
	content := zipContent(t, orig)
	// Every byte costs a whole verification (26 s for this archive here):
	// a stride from a random start, logged, covers every byte over runs
	// (TUNDUK_FLIP_STRIDE=1 flips all of them).
	step := 3
	switch {
	case os.Getenv("TUNDUK_FLIP_STRIDE") != "":
		step, _ = strconv.Atoi(os.Getenv("TUNDUK_FLIP_STRIDE"))
		step = max(step, 1)
	case testing.Short():
		step = 17
	case raceEnabled:
		step = 29
	}
	start := mrand.IntN(step)
	t.Logf("archive bytes flipped: every %d from %d", step, start)
	seen = map[string]int{}
	framing, n := 0, 0
	for i := start; i < len(orig); i += step {
		bad := append([]byte(nil), orig...)
		bad[i] ^= 0x01
		if err := os.WriteFile(names[0], bad, 0o600); err != nil {
			t.Fatal(err)
		}
		rep := verifyWith(t, dir, cp, key)
		c := cpCodes(rep)
		if rep.Valid() {
			// Only zip framing no reader sees may change unnoticed: the
			// local headers (readers use the central directory), times,
			// attributes, extra fields, the archive comment, slack bits
			// of a deflate stream. What the archive holds — each entry's
			// name and bytes — must be exactly the original.
			if zipContent(t, bad) != content {
				t.Errorf("archive byte %d of %d changed what the archive holds, yet it verifies", i, len(orig))
			}
			framing++
			n++
			continue
		}
		n++
		if c == "" {
			t.Errorf("archive byte %d: invalid without a named code", i)
		}
		seen[c]++
	}
	t.Logf("archive: %d mutations of %d bytes: %d failed with a named code (%d distinct code lists), %d changed only zip framing",
		n, len(orig), n-framing, len(seen), framing)
}

// zipContent is what an archive holds as a reader sees it: each entry's
// name and uncompressed bytes, in order ("" when it cannot be read).
func zipContent(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return ""
	}
	h := sha256.New()
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return ""
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return ""
		}
		fmt.Fprintf(h, "%q %d\n", f.Name, len(data))
		h.Write(data)
	}
	return string(h.Sum(nil))
}
