package evidence_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
	"github.com/tunduk-kg/tunduk/signing/receipt"
	"github.com/tunduk-kg/tunduk/signing/tlog"
)

var writeLeafVector = flag.String("write-leaf-vector", "", "write testdata/evidence/<name> (leaf-v1 or leaf-v2) from this build; an existing vector is never overwritten")

const leafVectorDir = "../../../testdata/evidence"

const vectorMember = "KG/GOV/70000001"

// writeVector runs a log with the given leaf version (msglog.Options) and
// writes into out what a verifier of its record 2 holds: the sealed
// receipt of a SOAP exchange in its full form (receipt.json), the log's
// certificate (mlog.crt), the group's checkpoint, the record's bytes as
// sealed (record/message.xml, record/attachmentN) and the group's archive.
func writeVector(t *testing.T, out string, leafVersion int) {
	t.Helper()
	// A pinned vector outlives the day certstest.Signing's certificate
	// is valid for.
	signer, cert := certstest.SelfSigned(t, &x509.Certificate{
		Subject:  pkix.Name{Country: []string{"KG"}, Organization: []string{"Test"}, CommonName: "70000001"},
		NotAfter: time.Now().AddDate(30, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	})
	f := openWith(t, t.TempDir(), signer, cert, func(o *msglog.Options) { o.LeafVersion = leafVersion })
	ctx := context.Background()
	var seq uint64
	for i := 1; i <= 3; i++ {
		r := exchange(i, vectorMember)
		if i == 3 {
			r = &msglog.Record{Type: msglog.TypeArchiveRead, Member: vectorMember, Event: &msglog.Event{Actor: "auditor", Action: "search"}}
		}
		s, err := f.log.Append(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			seq = s
		}
	}
	if err := f.log.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := f.ev.Receipt(seq, 0)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	rec := f.ev.sealed[seq]
	files := map[string][]byte{
		"receipt.json":       append(rb, '\n'),
		"mlog.crt":           pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
		"checkpoint":         f.ev.Checkpoint(vectorMember),
		"record/message.xml": rec.MessageXML,
	}
	for i, a := range rec.Attachments {
		files[fmt.Sprintf("record/attachment%d", i+1)] = a
	}
	group := msglog.GroupDir(f.Archive, vectorMember)
	zips, err := filepath.Glob(filepath.Join(group, "mlog-*.zip"))
	if err != nil || len(zips) == 0 {
		t.Fatalf("archives in %s: %v %v", group, zips, err)
	}
	for _, z := range zips {
		b, err := os.ReadFile(z)
		if err != nil {
			t.Fatal(err)
		}
		files["archive/"+filepath.Base(z)] = b
	}
	for p, b := range files {
		p = filepath.Join(out, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWriteLeafVector writes a pinned vector when asked
// (-write-leaf-vector leaf-vN) with the build that runs it; TestLeafVectors
// then checks that every later build still verifies it.
func TestWriteLeafVector(t *testing.T) {
	name := *writeLeafVector
	if name == "" {
		t.Skip("-write-leaf-vector not given")
	}
	out := filepath.Join(leafVectorDir, name)
	if _, err := os.Stat(out); err == nil {
		t.Fatalf("%s exists: a pinned vector is never regenerated", out)
	}
	v := map[string]int{"leaf-v1": tlog.LeafV1, "leaf-v2": tlog.LeafV2}[name]
	if v == 0 {
		t.Fatalf("-write-leaf-vector %q: want leaf-v1 or leaf-v2", name)
	}
	writeVector(t, out, v)
	t.Logf("wrote %s", out)
}

// leafVector is what writeVector wrote.
type leafVector struct {
	receipt, checkpoint []byte
	cert                *x509.Certificate
	record              *receipt.Record
	archive             string
}

func readLeafVector(t *testing.T, dir string) leafVector {
	t.Helper()
	read := func(p string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	v := leafVector{receipt: read("receipt.json"), checkpoint: read("checkpoint"), archive: filepath.Join(dir, "archive"),
		record: &receipt.Record{MessageXML: read("record/message.xml")}}
	blk, _ := pem.Decode(read("mlog.crt"))
	if blk == nil {
		t.Fatal("mlog.crt: no PEM block")
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	v.cert = c
	for i := 1; ; i++ {
		b, err := os.ReadFile(filepath.Join(dir, "record", fmt.Sprintf("attachment%d", i)))
		if errors.Is(err, os.ErrNotExist) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		v.record.Attachments = append(v.record.Attachments, b)
	}
	return v
}

// checkVector: the receipt verifies with its record and the held
// checkpoint and is of leaf version want (a version 1 statement names no
// leaf version and carries the attachments' digests, a version 2 one
// "leaf":2 and none, as its record declares); the archive verifies
// against the checkpoint (what `tunduk archive verify --checkpoint`
// checks); any byte of the record changed is a record-mismatch.
func checkVector(t *testing.T, v leafVector, want int) {
	t.Helper()
	res, err := receipt.Verify(v.receipt, receipt.Options{Certificate: v.cert, Checkpoint: v.checkpoint, Record: v.record})
	if err != nil || !res.Sealed || !res.RecordSeen || !res.KeyPinned {
		t.Fatalf("receipt: %+v, %v", res, err)
	}
	st := res.Statement
	if got := tlog.LeafVersionOf(v.record.MessageXML); got != want {
		t.Errorf("message.xml declares leaf version %d, want %d", got, want)
	}
	switch want {
	case tlog.LeafV1:
		if st.LeafVersion != 0 || len(st.AttachmentDigests) != 2 || bytes.Contains(v.receipt, []byte(`"leaf"`)) {
			t.Errorf("version 1 statement: leaf %d, %d attachment digests", st.LeafVersion, len(st.AttachmentDigests))
		}
	case tlog.LeafV2:
		if st.LeafVersion != 2 || st.AttachmentDigests != nil || !bytes.Contains(v.receipt, []byte(`"leaf": 2`)) {
			t.Errorf("version 2 statement: leaf %d, %d attachment digests", st.LeafVersion, len(st.AttachmentDigests))
		}
	}
	rep, err := verify.New(verify.Options{}).Paths([]string{v.archive}, verify.ChainOptions{First: true, CheckpointKey: v.cert.PublicKey,
		Checkpoints: []verify.HeldCheckpoint{{File: "checkpoint", Signed: v.checkpoint}}})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Valid() || len(rep.Checkpoints) != 1 || !rep.Checkpoints[0].Valid {
		t.Fatalf("archive against checkpoint: %s", cpSummary(rep))
	}
	parts := append([][]byte{v.record.MessageXML}, v.record.Attachments...)
	for i, p := range parts {
		for _, at := range []int{0, len(p) / 2, len(p) - 1} {
			p[at] ^= 1
			_, err := receipt.Verify(v.receipt, receipt.Options{Certificate: v.cert, Record: v.record})
			p[at] ^= 1
			if !errors.Is(err, &receipt.Error{Reason: receipt.ReasonRecord}) {
				t.Errorf("record part %d byte %d changed: %v", i, at, err)
			}
		}
	}
	// An attachment dropped, or one more, is a record-mismatch too.
	for _, atts := range [][][]byte{v.record.Attachments[:1], append(v.record.Attachments[:2:2], []byte("x"))} {
		r := &receipt.Record{MessageXML: v.record.MessageXML, Attachments: atts}
		if _, err := receipt.Verify(v.receipt, receipt.Options{Certificate: v.cert, Record: r}); !errors.Is(err, &receipt.Error{Reason: receipt.ReasonRecord}) {
			t.Errorf("%d attachments: %v", len(atts), err)
		}
	}
}

// TestLeafVectors: every pinned vector (testdata/evidence/leaf-vN, written
// by the build of its time) still verifies.
func TestLeafVectors(t *testing.T) {
	for name, want := range map[string]int{"leaf-v1": tlog.LeafV1, "leaf-v2": tlog.LeafV2} {
		t.Run(name, func(t *testing.T) {
			checkVector(t, readLeafVector(t, filepath.Join(leafVectorDir, name)), want)
		})
	}
}

// TestLeafVersions: this build writes version 2 by default and version 1
// when Options.LeafVersion is 1, and both verify.
func TestLeafVersions(t *testing.T) {
	for _, c := range []struct{ opt, want int }{{0, tlog.LeafV2}, {1, tlog.LeafV1}, {2, tlog.LeafV2}} {
		t.Run(fmt.Sprintf("LeafVersion=%d", c.opt), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "vector")
			writeVector(t, dir, c.opt)
			checkVector(t, readLeafVector(t, dir), c.want)
		})
	}
}

func cpSummary(rep *verify.Report) string {
	var s []string
	for _, f := range rep.Files {
		for _, p := range f.Problems {
			s = append(s, p.Code+": "+p.Message)
		}
	}
	for _, c := range rep.Checkpoints {
		s = append(s, fmt.Sprintf("%+v", *c))
	}
	return strings.Join(s, "; ")
}
