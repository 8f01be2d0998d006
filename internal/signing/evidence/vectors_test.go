package evidence_test

import (
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
)

var writeLeafVector = flag.String("write-leaf-vector", "", "write testdata/evidence/<name> (e.g. leaf-v2) from this build; an existing vector is never overwritten")

const leafVectorDir = "../../../testdata/evidence"

const vectorMember = "KG/GOV/70000001"

// TestWriteLeafVector writes a pinned vector when asked (-write-leaf-vector
// leaf-vN): a sealed receipt of a SOAP exchange in its full form, the
// log's certificate, the group's checkpoint, the record's bytes as sealed
// (record/message.xml, record/attachmentN) and the group's archive, all
// written by the build that runs it. TestLeafVectors then checks that
// every later build still verifies them.
func TestWriteLeafVector(t *testing.T) {
	name := *writeLeafVector
	if name == "" {
		t.Skip("-write-leaf-vector not given")
	}
	out := filepath.Join(leafVectorDir, name)
	if _, err := os.Stat(out); err == nil {
		t.Fatalf("%s exists: a pinned vector is never regenerated", out)
	}
	// A pinned vector outlives the day certstest.Signing's certificate
	// is valid for.
	signer, cert := certstest.SelfSigned(t, &x509.Certificate{
		Subject:  pkix.Name{Country: []string{"KG"}, Organization: []string{"Test"}, CommonName: "70000001"},
		NotAfter: time.Now().AddDate(30, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	})
	f := open(t, t.TempDir(), signer, cert)
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
	t.Logf("wrote %s (%d files)", out, len(files))
}

// leafVector is one pinned vector of testdata/evidence.
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

// TestLeafVectors: every pinned vector (testdata/evidence/leaf-vN, written
// by the build of its leaf version) still verifies: the receipt with its
// record and the held checkpoint, and the archive against the checkpoint
// (what `tunduk archive verify --checkpoint` checks). Any byte of the
// record changed is a record-mismatch.
func TestLeafVectors(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(leafVectorDir, "leaf-v*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no vectors in %s: %v", leafVectorDir, err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			v := readLeafVector(t, dir)
			res, err := receipt.Verify(v.receipt, receipt.Options{Certificate: v.cert, Checkpoint: v.checkpoint, Record: v.record})
			if err != nil || !res.Sealed || !res.RecordSeen || !res.KeyPinned {
				t.Fatalf("receipt: %+v, %v", res, err)
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
