package evidence_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/evidence"
	"github.com/tunduk-kg/tunduk/internal/signing/evidence/evidencetest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/signing/receipt"
	"github.com/tunduk-kg/tunduk/signing/tlog"
)

// capture wraps the evidence log and keeps the sealed bytes of each record
// (what the archive holds), so tests can hand them to the verifier.
type capture struct {
	*evidence.Log
	mu     sync.Mutex
	sealed map[uint64]msglog.EvidenceRecord
}

// Promised is false, so that Sealed gets every record's bytes to keep.
func (c *capture) Promised(uint64) bool { return false }

func (c *capture) Sealed(ctx context.Context, b []msglog.EvidenceRecord) error {
	c.mu.Lock()
	for _, r := range b {
		c.sealed[r.Seq] = r
	}
	c.mu.Unlock()
	return c.Log.Sealed(ctx, b)
}

type fixture struct {
	*evidencetest.Fixture
	log  *msglog.Log
	ev   *capture
	cert *x509.Certificate
}

// open opens the log and its evidence under dir, grouped by member, with
// the evidence seen through capture.
func open(t testing.TB, dir string, signer crypto.Signer, cert *x509.Certificate) *fixture {
	t.Helper()
	return openWith(t, dir, signer, cert, nil)
}

// openWith is open with the log's options adjusted by logOpts (when not
// nil).
func openWith(t testing.TB, dir string, signer crypto.Signer, cert *x509.Certificate, logOpts func(*msglog.Options)) *fixture {
	t.Helper()
	var c *capture
	f := evidencetest.Open(t, evidencetest.Options{Dir: dir, Signer: signer, Certificate: cert, GroupBy: msglog.GroupMember,
		Hook: func(ev *evidence.Log) msglog.Evidence {
			c = &capture{Log: ev, sealed: map[uint64]msglog.EvidenceRecord{}}
			return c
		}, Log: logOpts})
	return &fixture{Fixture: f, log: f.Log, ev: c, cert: cert}
}

// exchange is a record as a check appends it; Leaf is what Append sets
// by default (for tests that hand records to the evidence hook directly).
func exchange(i int, member string) *msglog.Record {
	return &msglog.Record{Type: msglog.TypeExchange, Member: member, Leaf: tlog.LeafV2, Exchange: &msglog.Exchange{
		Direction: "consumer", Protocol: "soap", Check: "tax-debt", MessageID: fmt.Sprintf("msg-%d", i),
		UserID: "officer-1", Issue: "tender-7", RequestHash: "abc=", RequestID: fmt.Sprintf("req-%d", i),
		Subjects: []string{"01234567890123"},
		Request:  msglog.Message{Body: []byte(fmt.Sprintf("<req n='%d'/>", i))},
		Response: msglog.Message{Body: []byte(fmt.Sprintf("<resp n='%d'/>", i))},
	}}
}

func marshal(t testing.TB, r *receipt.Receipt) []byte {
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReceiptLifecycle: a promise right after Append, an inclusion proof
// after the seal, consistency with a later checkpoint, per group.
func TestReceiptLifecycle(t *testing.T) {
	signer, cert := certstest.Signing(t)
	f := open(t, t.TempDir(), signer, cert)
	ctx := context.Background()
	seq, err := f.log.Append(ctx, exchange(1, "KG/GOV/70000001"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.ev.Receipt(seq, 0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := receipt.Verify(marshal(t, r), receipt.Options{Certificate: cert})
	if err != nil || res.Sealed || res.Statement.Check != "tax-debt" || res.Statement.MessageID != "msg-1" ||
		res.Statement.UserID != "officer-1" || res.Statement.Issue != "tender-7" || res.Statement.RequestID != "req-1" {
		t.Fatalf("promise: %+v, %v", res, err)
	}
	if res.Statement.AnswerDigest == "" || len(res.Statement.Subjects) != 1 {
		t.Errorf("promise lacks answer digest or subject: %+v", res.Statement)
	}
	if err := f.log.Seal(ctx); err != nil {
		t.Fatal(err)
	}
	first := f.ev.Checkpoint("KG/GOV/70000001")
	for i := 2; i <= 6; i++ {
		m := "KG/GOV/70000001"
		if i%2 == 0 {
			m = "KG/COM/123"
		}
		if _, err := f.log.Append(ctx, exchange(i, m)); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.log.Seal(ctx); err != nil {
		t.Fatal(err)
	}
	later := f.ev.Checkpoint("KG/GOV/70000001")
	r, err = f.ev.Receipt(seq, 0)
	if err != nil {
		t.Fatal(err)
	}
	rec := f.ev.sealed[seq]
	res, err = receipt.Verify(marshal(t, r), receipt.Options{Certificate: cert, Checkpoint: later,
		Record: &receipt.Record{MessageXML: rec.MessageXML, Attachments: rec.Attachments}})
	if err != nil || !res.Sealed || res.Checkpoint.Size != 3 || !res.RecordSeen {
		t.Fatalf("sealed: %+v, %v", res, err)
	}
	// A verifier holding the first checkpoint (size 1) needs a
	// consistency proof: without it the reason is named, with it (from=1)
	// the receipt verifies.
	_, err = receipt.Verify(marshal(t, r), receipt.Options{Certificate: cert, Checkpoint: first})
	if !errors.Is(err, &receipt.Error{Reason: receipt.ReasonNoConsistency}) {
		t.Errorf("old checkpoint without proof: %v", err)
	}
	r, _ = f.ev.Receipt(seq, 1)
	if _, err := receipt.Verify(marshal(t, r), receipt.Options{Certificate: cert, Checkpoint: first}); err != nil {
		t.Errorf("old checkpoint with proof: %v", err)
	}
	// The other group's checkpoint is of another origin.
	_, err = receipt.Verify(marshal(t, r), receipt.Options{Certificate: cert, Checkpoint: f.ev.Checkpoint("KG/COM/123")})
	if !errors.Is(err, &receipt.Error{Reason: receipt.ReasonCheckpointOrigin}) {
		t.Errorf("other group's checkpoint: %v", err)
	}
	// Unpinned: the receipt's own certificate is used and said so.
	res, err = receipt.Verify(marshal(t, r), receipt.Options{})
	if err != nil || res.KeyPinned {
		t.Errorf("unpinned: %+v %v", res, err)
	}
	_, other := certstest.Signing(t)
	if _, err := receipt.Verify(marshal(t, r), receipt.Options{Certificate: other}); !errors.Is(err, &receipt.Error{Reason: receipt.ReasonKey}) {
		t.Errorf("other certificate: %v", err)
	}
	// The compact form (no certificate) checked with another key: its
	// keyId names another key.
	compact, err := f.ev.AnswerJSON(seq)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := receipt.Verify(compact, receipt.Options{Certificate: other}); !errors.Is(err, &receipt.Error{Reason: receipt.ReasonKey}) {
		t.Errorf("compact, other key: %v", err)
	}
	// A version 1 receipt (no keyId) without certificate, checked with
	// another key: the signature does not verify.
	r.Certificate, r.KeyID, r.Version = nil, nil, receipt.Version1
	if _, err := receipt.Verify(marshal(t, r), receipt.Options{Certificate: other}); !errors.Is(err, &receipt.Error{Reason: receipt.ReasonStatementSignature}) {
		t.Errorf("other key: %v", err)
	}
	if _, err := f.ev.Receipt(999, 0); !errors.Is(err, evidence.ErrUnknownRecord) {
		t.Errorf("unknown record: %v", err)
	}
}

// TestReceiptAnyByteChanged flips every byte of a sealed receipt, of the
// record it names and of the checkpoint the verifier holds: each change
// must fail verification with a reason.
func TestReceiptAnyByteChanged(t *testing.T) {
	signer, cert := certstest.Signing(t)
	f := open(t, t.TempDir(), signer, cert)
	ctx := context.Background()
	var seqs []uint64
	for i := 1; i <= 3; i++ {
		s, err := f.log.Append(ctx, exchange(i, "KG/GOV/70000001"))
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, s)
	}
	if err := f.log.Seal(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := f.ev.Receipt(seqs[1], 0)
	if err != nil {
		t.Fatal(err)
	}
	data := marshal(t, r)
	cp := f.ev.Checkpoint("KG/GOV/70000001")
	rec := f.ev.sealed[seqs[1]]
	opts := func() receipt.Options {
		return receipt.Options{Certificate: cert, Checkpoint: cp,
			Record: &receipt.Record{MessageXML: rec.MessageXML, Attachments: rec.Attachments}}
	}
	if _, err := receipt.Verify(data, opts()); err != nil {
		t.Fatalf("unchanged receipt: %v", err)
	}
	reasons := map[receipt.Reason]int{}
	check := func(what string, i int, err error) {
		var re *receipt.Error
		if !errors.As(err, &re) {
			t.Errorf("%s byte %d changed: verified (err %v)", what, i, err)
			return
		}
		reasons[re.Reason]++
	}
	for i := range data {
		bad := append([]byte(nil), data...)
		bad[i] ^= 0x01
		_, err := receipt.Verify(bad, opts())
		check("receipt", i, err)
	}
	for i := range rec.MessageXML {
		o := opts()
		o.Record.MessageXML = append([]byte(nil), rec.MessageXML...)
		o.Record.MessageXML[i] ^= 0x01
		_, err := receipt.Verify(data, o)
		check("message.xml", i, err)
	}
	attBytes := 0
	for k, att := range rec.Attachments {
		for i := range att {
			o := opts()
			o.Record.Attachments = make([][]byte, len(rec.Attachments))
			copy(o.Record.Attachments, rec.Attachments)
			o.Record.Attachments[k] = append([]byte(nil), att...)
			o.Record.Attachments[k][i] ^= 0x01
			_, err := receipt.Verify(data, o)
			check(fmt.Sprintf("attachment %d", k+1), i, err)
			attBytes++
		}
	}
	if attBytes == 0 {
		t.Fatal("the record has no attachment bytes to change")
	}
	// A body dropped or added is a changed record too.
	for _, atts := range [][][]byte{rec.Attachments[:len(rec.Attachments)-1], append(append([][]byte(nil), rec.Attachments...), nil)} {
		o := opts()
		o.Record.Attachments = atts
		_, err := receipt.Verify(data, o)
		check("attachment list", len(atts), err)
	}
	for i := range cp {
		o := opts()
		o.Checkpoint = append([]byte(nil), cp...)
		o.Checkpoint[i] ^= 0x01
		_, err := receipt.Verify(data, o)
		check("checkpoint", i, err)
	}
	t.Logf("reasons over %d mutations: %v", len(data)+len(rec.MessageXML)+attBytes+2+len(cp), reasons)
	for _, want := range []receipt.Reason{receipt.ReasonMalformed, receipt.ReasonStatementSignature, receipt.ReasonRecord,
		receipt.ReasonCheckpointSignature, receipt.ReasonInclusion} {
		if reasons[want] == 0 {
			t.Errorf("no mutation failed with %s", want)
		}
	}
}

// TestReceiptFormsAnyByteChanged flips every byte of the other forms a
// receipt takes: a promise (not sealed yet), a sealed receipt carrying a
// consistency proof to an older checkpoint the verifier holds, the compact
// promise a check's answer carries (a changed keyId fails with key) and a
// version 1 receipt (before keyId, the certificate embedded).
// Each change fails with a named reason; a changed consistency proof with
// consistency-proof.
func TestReceiptFormsAnyByteChanged(t *testing.T) {
	signer, cert := certstest.Signing(t)
	f := open(t, t.TempDir(), signer, cert)
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		if _, err := f.log.Append(ctx, exchange(i, "KG/GOV/70000001")); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.log.Seal(ctx); err != nil {
		t.Fatal(err)
	}
	older := f.ev.Checkpoint("KG/GOV/70000001")
	var last uint64
	for i := 4; i <= 6; i++ {
		s, err := f.log.Append(ctx, exchange(i, "KG/GOV/70000001"))
		if err != nil {
			t.Fatal(err)
		}
		last = s
	}
	if err := f.log.Seal(ctx); err != nil {
		t.Fatal(err)
	}
	withProof, err := f.ev.Receipt(last, 3)
	if err != nil || len(withProof.Consistency) != 1 {
		t.Fatalf("receipt with consistency proof: %+v %v", withProof, err)
	}
	s, err := f.log.Append(ctx, exchange(7, "KG/GOV/70000001"))
	if err != nil {
		t.Fatal(err)
	}
	promise, err := f.ev.Receipt(s, 0)
	if err != nil || promise.Inclusion != nil {
		t.Fatalf("promise: %+v %v", promise, err)
	}
	compact, err := f.ev.AnswerJSON(s)
	if err != nil {
		t.Fatal(err)
	}
	// A version 1 receipt (written before keyId: certificate embedded)
	// still verifies, and every byte of it still matters.
	v1 := *withProof
	v1.Version, v1.KeyID = receipt.Version1, nil
	for _, c := range []struct {
		name string
		data []byte
		opts receipt.Options
		want receipt.Reason
	}{
		{"promise", marshal(t, promise), receipt.Options{Certificate: cert}, receipt.ReasonStatementSignature},
		{"consistency", marshal(t, withProof), receipt.Options{Certificate: cert, Checkpoint: older}, receipt.ReasonConsistency},
		{"compact", compact, receipt.Options{Certificate: cert}, receipt.ReasonKey},
		{"version 1", marshal(t, &v1), receipt.Options{Certificate: cert, Checkpoint: older}, receipt.ReasonConsistency},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := receipt.Verify(c.data, c.opts); err != nil {
				t.Fatalf("unchanged: %v", err)
			}
			reasons := map[receipt.Reason]int{}
			for i := range c.data {
				bad := append([]byte(nil), c.data...)
				bad[i] ^= 0x01
				_, err := receipt.Verify(bad, c.opts)
				var re *receipt.Error
				if !errors.As(err, &re) {
					t.Errorf("byte %d (%q) changed: %v", i, c.data[i], err)
					continue
				}
				reasons[re.Reason]++
			}
			t.Logf("%d mutations: %v", len(c.data), reasons)
			if reasons[c.want] == 0 {
				t.Errorf("no mutation failed with %s", c.want)
			}
		})
	}
}

// TestReceiptJSON: the JSON ReceiptJSON writes without reflection for a
// promise is json.Marshal's, byte for byte, and names the check; sealed
// receipts and ones read back from the file after a reopen likewise.
func TestReceiptJSON(t *testing.T) {
	signer, cert := certstest.Signing(t)
	dir := t.TempDir()
	f := open(t, dir, signer, cert)
	ctx := context.Background()
	seq, err := f.log.Append(ctx, exchange(1, "KG/GOV/70000001"))
	if err != nil {
		t.Fatal(err)
	}
	same := func(what string) {
		t.Helper()
		r, err := f.ev.Receipt(seq, 0)
		if err != nil {
			t.Fatal(err)
		}
		b, check, err := f.ev.ReceiptJSON(seq, 0)
		if err != nil || check != "tax-debt" || string(b) != string(marshal(t, r)) {
			t.Fatalf("%s: check %q, %v\n%s\nwant\n%s", what, check, err, b, marshal(t, r))
		}
		if _, err := receipt.Verify(b, receipt.Options{Certificate: cert}); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	same("promise")
	if err := f.log.Seal(ctx); err != nil {
		t.Fatal(err)
	}
	same("sealed")
	f.Close()
	f = open(t, dir, signer, cert)
	same("reopened")
	if _, _, err := f.ev.ReceiptJSON(999, 0); !errors.Is(err, evidence.ErrUnknownRecord) {
		t.Errorf("unknown record: %v", err)
	}
}

// TestBatchedPromises: records appended at once get promises signed as one
// batch (fewer signatures than records); each receipt verifies alone, its
// JSON is json.Marshal's, every byte changed in one fails with a named
// reason (a changed batch proof with promise-batch or
// statement-signature), and another statement cannot borrow the batch's
// signature.
func TestBatchedPromises(t *testing.T) {
	signer, cert := certstest.Signing(t)
	counting := &countingSigner{Signer: signer}
	f := open(t, t.TempDir(), counting, cert)
	ctx := context.Background()
	const n = 64
	seqs := make([]uint64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := f.log.Append(ctx, exchange(i, "KG/GOV/70000001"))
			if err != nil {
				t.Error(err)
			}
			seqs[i] = s
		}()
	}
	wg.Wait()
	signs := counting.n.Load()
	var batched []byte
	for _, seq := range seqs {
		r, err := f.ev.Receipt(seq, 0)
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := f.ev.ReceiptJSON(seq, 0)
		if err != nil || string(b) != string(marshal(t, r)) {
			t.Fatalf("ReceiptJSON of seq %d: %v\n%s\nwant\n%s", seq, err, b, marshal(t, r))
		}
		if _, err := receipt.Verify(b, receipt.Options{Certificate: cert}); err != nil {
			t.Fatalf("seq %d: %v", seq, err)
		}
		compact := *r
		compact.Certificate = nil
		if a, err := f.ev.AnswerJSON(seq); err != nil || string(a) != string(marshal(t, &compact)) {
			t.Fatalf("AnswerJSON of seq %d: %v\n%s\nwant\n%s", seq, err, a, marshal(t, &compact))
		}
		if r.Batch != nil && batched == nil {
			batched = b
		}
	}
	t.Logf("%d records, %d promise signatures", n, signs)
	if signs >= n || batched == nil {
		t.Fatalf("%d signatures for %d concurrent records: not batched", signs, n)
	}
	reasons := map[receipt.Reason]int{}
	for i := range batched {
		bad := append([]byte(nil), batched...)
		bad[i] ^= 0x01
		_, err := receipt.Verify(bad, receipt.Options{Certificate: cert})
		var re *receipt.Error
		if !errors.As(err, &re) {
			t.Fatalf("byte %d (%q) changed: %v\n%s", i, batched[i], err, batched[max(0, i-60):min(len(batched), i+40)])
		}
		reasons[re.Reason]++
	}
	t.Logf("%d mutations of a batched promise: %v", len(batched), reasons)
	if reasons[receipt.ReasonStatementSignature] == 0 {
		t.Errorf("no mutation failed with statement-signature: %v", reasons)
	}
	// A batch place that cannot be: promise-batch.
	var r receipt.Receipt
	json.Unmarshal(batched, &r)
	for name, change := range map[string]func(b *receipt.Batch){
		"index beyond the batch": func(b *receipt.Batch) { b.Index = b.Size },
		"a batch of one":         func(b *receipt.Batch) { b.Size, b.Index = 1, 0 },
		"proof cut short":        func(b *receipt.Batch) { b.Proof = b.Proof[1:] },
	} {
		c := r
		bt := *r.Batch
		change(&bt)
		c.Batch = &bt
		if _, err := receipt.Verify(marshal(t, &c), receipt.Options{Certificate: cert}); !errors.Is(err, &receipt.Error{Reason: receipt.ReasonBatch}) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Another statement with the batch's signature and proof.
	var st receipt.Statement
	json.Unmarshal(r.Statement, &st)
	st.Check = "founders"
	r.Statement, _ = json.Marshal(&st)
	if _, err := receipt.Verify(marshal(t, &r), receipt.Options{Certificate: cert}); !errors.Is(err, &receipt.Error{Reason: receipt.ReasonStatementSignature}) {
		t.Errorf("borrowed batch signature: %v", err)
	}
	// Sealed, the batched promises carry their inclusion proofs too.
	if err := f.log.Seal(ctx); err != nil {
		t.Fatal(err)
	}
	for _, seq := range seqs {
		b, _, err := f.ev.ReceiptJSON(seq, 0)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := receipt.Verify(b, receipt.Options{Certificate: cert, Checkpoint: f.ev.Checkpoint("KG/GOV/70000001")}); err != nil || !res.Sealed {
			t.Fatalf("sealed seq %d: %v", seq, err)
		}
	}
}

type countingSigner struct {
	crypto.Signer
	n atomic.Int64
}

func (c *countingSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	c.n.Add(1)
	return c.Signer.Sign(r, d, o)
}

// gatedSigner signs once the test lets it (one signature per value sent
// on gate, or any number once gate is closed), counting signatures; it
// tells entered (if room) when a signature starts waiting.
type gatedSigner struct {
	crypto.Signer
	gate, entered chan struct{}
	n             atomic.Int64
}

func (g *gatedSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	select {
	case g.entered <- struct{}{}:
	default:
	}
	<-g.gate
	g.n.Add(1)
	return g.Signer.Sign(r, d, o)
}

// TestPromiseQueue: Promise queues a group commit and returns before it
// is signed (the journal's writer is not held by the key); the group's
// done comes once its promises are stored, so a receipt is there at once;
// groups that queue up while a batch is signed are signed together, with
// one signature; a seal waits for the promises being signed instead of
// asking for the records' bytes. Every promise verifies.
func TestPromiseQueue(t *testing.T) {
	signer, cert := certstest.Signing(t)
	gated := &gatedSigner{Signer: signer, gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	ev, err := evidence.Open(evidence.Options{Dir: t.TempDir(), Origin: "tunduk.test/mlog", Signer: gated, Certificate: cert})
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	evidence.SetSlowKey(ev, true) // as after a slow signature (see TestPromiseSlowKey)
	var seq uint64
	promise := func(n int) (seqs []uint64, done chan struct{}) {
		recs := make([]msglog.EvidenceRecord, n)
		for i := range recs {
			seq++
			recs[i] = msglog.EvidenceRecord{Seq: seq, Group: "KG/GOV/1", Record: exchange(int(seq), "KG/GOV/1"),
				MessageXML: fmt.Appendf(nil, "<m n='%d'/>", seq)}
			seqs = append(seqs, seq)
		}
		done = make(chan struct{})
		returned := make(chan struct{})
		go func() {
			ev.Promise(recs, func() { close(done) })
			close(returned)
		}()
		select {
		case <-returned:
		case <-time.After(10 * time.Second):
			t.Fatal("Promise waited for the signature")
		}
		return seqs, done
	}
	waitDone := func(name string, done chan struct{}) {
		t.Helper()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: done never came", name)
		}
	}
	verify := func(seqs []uint64, size uint64) {
		t.Helper()
		for _, s := range seqs {
			b, err := ev.AnswerJSON(s)
			if err != nil {
				t.Fatalf("seq %d: %v", s, err)
			}
			if _, err := receipt.Verify(b, receipt.Options{Certificate: cert}); err != nil {
				t.Fatalf("seq %d: %v\n%s", s, err, b)
			}
			var r receipt.Receipt
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			if r.Batch == nil || r.Batch.Size != size {
				t.Errorf("seq %d: batch %+v, want one of %d", s, r.Batch, size)
			}
		}
	}

	a, doneA := promise(3)
	select { // the signer has taken it and waits at the gate
	case <-gated.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the first group was never signed")
	}
	b, doneB := promise(2) // these two queue up behind it
	c, doneC := promise(4)
	for name, d := range map[string]chan struct{}{"A": doneA, "B": doneB, "C": doneC} {
		select {
		case <-d:
			t.Fatalf("group %s done before its signature", name)
		default:
		}
	}
	gated.gate <- struct{}{}
	waitDone("A", doneA)
	verify(a, 3)
	gated.gate <- struct{}{}
	waitDone("B", doneB)
	waitDone("C", doneC)
	verify(append(b, c...), 6)
	if n := gated.n.Load(); n != 2 {
		t.Errorf("three groups, the last two queued behind the first: %d signatures, want 2", n)
	}

	// A seal of a record whose promise is being signed waits for it (the
	// record comes without its bytes, as the log hands promised ones).
	evidence.SetSlowKey(ev, true) // the fast signatures above made it fast
	d, doneD := promise(1)
	sealed := make(chan error, 1)
	go func() {
		sealed <- ev.Sealed(context.Background(), []msglog.EvidenceRecord{{Seq: d[0], Group: "KG/GOV/1"}})
	}()
	select {
	case err := <-sealed:
		t.Fatalf("the seal did not wait for the promise being signed: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(gated.gate) // the promise, then the checkpoint
	waitDone("D", doneD)
	if err := <-sealed; err != nil {
		t.Fatal(err)
	}
	r, err := ev.Receipt(d[0], 0)
	if err != nil || r.Inclusion == nil {
		t.Fatalf("sealed record: %+v, %v", r, err)
	}

	// A record reaching Appended (a shared store) is signed on its own.
	n := gated.n.Load()
	seq++
	ev.Appended(msglog.EvidenceRecord{Seq: seq, Record: exchange(int(seq), "KG/GOV/1"), MessageXML: []byte("<m/>")})
	if got := gated.n.Load() - n; got != 1 {
		t.Errorf("Appended: %d signatures, want 1", got)
	}
	b1, err := ev.AnswerJSON(seq)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := receipt.Verify(b1, receipt.Options{Certificate: cert}); err != nil {
		t.Fatal(err)
	}
}

// slowSigner takes 3 ms for its first signature, then waits for gate
// before each.
type slowSigner struct {
	crypto.Signer
	gate chan struct{}
	n    atomic.Int64
}

func (s *slowSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	if s.n.Add(1) == 1 {
		time.Sleep(3 * time.Millisecond)
	} else {
		<-s.gate
	}
	return s.Signer.Sign(r, d, o)
}

// TestPromiseSlowKey: with a fast key Promise signs on the caller (the
// journal's writer) and its group is done when it returns; once a
// signature took longer than 2 ms, Promise returns at once and the
// group is signed on a signer goroutine.
func TestPromiseSlowKey(t *testing.T) {
	signer, cert := certstest.Signing(t)
	slow := &slowSigner{Signer: signer, gate: make(chan struct{})}
	ev, err := evidence.Open(evidence.Options{Dir: t.TempDir(), Origin: "tunduk.test/mlog", Signer: slow, Certificate: cert})
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	group := func(seq uint64) []msglog.EvidenceRecord {
		return []msglog.EvidenceRecord{{Seq: seq, Group: "KG/GOV/1", Record: exchange(int(seq), "KG/GOV/1"), MessageXML: []byte("<m/>")}}
	}
	var done1 atomic.Bool
	ev.Promise(group(1), func() { done1.Store(true) })
	if !done1.Load() {
		t.Fatal("with a fast key, Promise returned before its group was done")
	}
	done2 := make(chan struct{})
	returned := make(chan struct{})
	go func() {
		ev.Promise(group(2), func() { close(done2) })
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("after a 3 ms signature, Promise waited for the next one")
	}
	close(slow.gate)
	select {
	case <-done2:
	case <-time.After(10 * time.Second):
		t.Fatal("the queued group was never signed")
	}
	for seq := uint64(1); seq <= 2; seq++ {
		b, err := ev.AnswerJSON(seq)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := receipt.Verify(b, receipt.Options{Certificate: cert}); err != nil {
			t.Fatalf("seq %d: %v", seq, err)
		}
	}
}

// TestPromiseOnWriter: through the message log (msglog.EvidencePromises),
// each group commit's records are promised before their Appends return:
// at most one signature per group commit (groups queued behind a
// signature share the next), and every answer's receipt there at once,
// batch-signed, verifying.
func TestPromiseOnWriter(t *testing.T) {
	signer, cert := certstest.Signing(t)
	counting := &countingSigner{Signer: signer}
	f := evidencetest.Open(t, evidencetest.Options{Signer: signer, Certificate: cert, EvidenceSigner: counting, GroupBy: msglog.GroupMember})
	const workers, each = 16, 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	sizes := map[string]uint64{} // batch signature → batch size
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				seq, err := f.Log.Append(context.Background(), exchange(w*each+i, "KG/GOV/1"))
				if err != nil {
					t.Error(err)
					return
				}
				b, err := f.Evidence.AnswerJSON(seq)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := receipt.Verify(b, receipt.Options{Certificate: cert}); err != nil {
					t.Errorf("seq %d: %v\n%s", seq, err, b)
					return
				}
				var r receipt.Receipt
				if err := json.Unmarshal(b, &r); err != nil {
					t.Error(err)
					return
				}
				size := uint64(1)
				if r.Batch != nil {
					size = r.Batch.Size
				}
				mu.Lock()
				sizes[string(r.Signature)] = size
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	groups, records := f.Log.Stats()
	if sigs := counting.n.Load(); records != workers*each || sigs > int64(groups) || len(sizes) != int(sigs) {
		t.Errorf("%d records in %d group commits: %d signatures, %d distinct in the receipts; want at most one per group commit, each in the receipts",
			records, groups, sigs, len(sizes))
	}
	var sum uint64
	for _, n := range sizes {
		sum += n
	}
	if sum != records {
		t.Errorf("the batches hold %d records, want %d", sum, records)
	}
	t.Logf("%d records, %d group commits", records, groups)
}

// openCounting opens an evidence log alone (no message log) whose
// signatures are counted; it is closed when t ends.
func openCounting(t testing.TB) (*evidence.Log, *countingSigner, *x509.Certificate) {
	signer, cert := certstest.Signing(t)
	counting := &countingSigner{Signer: signer}
	ev, err := evidence.Open(evidence.Options{Dir: t.TempDir(), Origin: "tunduk.test/mlog", Signer: counting, Certificate: cert})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ev.Close() })
	return ev, counting, cert
}
