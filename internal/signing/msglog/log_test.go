package msglog_test

import (
	"bytes"
	"context"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/certs/certstest"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
)

func openLog(t testing.TB, dir string, mod func(*msglog.Options)) *msglog.Log {
	t.Helper()
	signer, cert := certstest.Signing(t)
	opts := msglog.Options{
		Dir:            filepath.Join(dir, "log"),
		ArchiveDir:     filepath.Join(dir, "archive"),
		Signer:         signer,
		Certificate:    cert,
		BatchInterval:  20 * time.Millisecond,
		RotateInterval: time.Hour,
	}
	if mod != nil {
		mod(&opts)
	}
	l, err := msglog.Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return l
}

func exchange(i int, member string) *msglog.Record {
	return &msglog.Record{
		Type:   msglog.TypeExchange,
		Member: member,
		Exchange: &msglog.Exchange{
			Direction: "consumer",
			Protocol:  "soap",
			MessageID: fmt.Sprintf("msg-%04d", i),
			Client:    member,
			Service:   "central-server/GOV/70000002/gns-service/tpDataByINNforBusinessActivity/v1",
			UserID:    fmt.Sprintf("officer-%d", i%3),
			Issue:     fmt.Sprintf("tender-%d", i%5),
			Subjects:  []string{fmt.Sprintf("0123456789%04d", i)},
			Outcome:   "ok",
			Request:   msglog.Message{ContentType: "text/xml", Body: []byte(fmt.Sprintf("<req n='%d'/>", i))},
			Response:  msglog.Message{ContentType: "text/xml", Body: []byte(fmt.Sprintf("<resp n='%d'/>", i))},
		},
	}
}

// linkinginfoChain recomputes an archive's linkinginfo chain from its
// entries (X-Road's algorithm) and returns the prev digest named on the
// first line and the last digest.
func linkinginfoChain(t *testing.T, path string) (prev, last string, entries int) {
	t.Helper()
	zr, err := msglog.OpenArchive(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	var li []byte
	data := map[string][]byte{}
	var order []string
	for _, f := range zr.File {
		rc, _ := f.Open()
		b := new(bytes.Buffer)
		b.ReadFrom(rc)
		rc.Close()
		if f.Name == "linkinginfo" {
			li = b.Bytes()
			continue
		}
		data[f.Name] = b.Bytes()
		order = append(order, f.Name)
	}
	lines := strings.Split(strings.TrimSpace(string(li)), "\n")
	head := strings.Fields(lines[0])
	prev = head[0]
	d := prev
	if d == "-" {
		d = ""
	}
	if len(lines)-1 != len(order) {
		t.Fatalf("%s: linkinginfo lists %d entries, zip has %d", path, len(lines)-1, len(order))
	}
	for i, name := range order {
		e := sha512.Sum512(data[name])
		s := sha512.Sum512([]byte(d + hex.EncodeToString(e[:])))
		d = hex.EncodeToString(s[:])
		if lines[i+1] != d+" "+name {
			t.Fatalf("%s: linkinginfo line %d = %q, want digest %s for %s", path, i+1, lines[i+1], d, name)
		}
	}
	return prev, d, len(order)
}

func TestAppendSealRotate(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, nil)
	ctx := context.Background()
	var wg sync.WaitGroup
	seqs := make([]uint64, 50)
	for i := range seqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seq, err := l.Append(ctx, exchange(i, "central-server/GOV/70000001/portal"))
			if err != nil {
				t.Error(err)
			}
			seqs[i] = seq
		}()
	}
	wg.Wait()
	if err := l.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	// A second round links to the first archive.
	for i := 50; i < 60; i++ {
		if _, err := l.Append(ctx, exchange(i, "central-server/GOV/70000001/portal")); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	archives, err := msglog.ListArchives(filepath.Join(dir, "archive"))
	if err != nil {
		t.Fatal(err)
	}
	if len(archives) != 2 {
		t.Fatalf("want 2 archives, got %v", archives)
	}
	prev0, last0, n0 := linkinginfoChain(t, archives[0].Path)
	prev1, _, n1 := linkinginfoChain(t, archives[1].Path)
	if prev0 != "-" || prev1 != last0 || n0+n1 != 120 { // format 2: a request and a response container per exchange
		t.Fatalf("chain: first prev %q, second prev %q, first last %q, entries %d+%d", prev0, prev1, last0, n0, n1)
	}
	if !strings.Contains(archives[0].Name, "-"+last0[:16]+".zip") {
		t.Fatalf("archive name %s does not end in its last digest's first 16 hex digits %s", archives[0].Name, last0[:16])
	}
	got := map[uint64]*msglog.Record{}
	for _, a := range archives {
		err := msglog.ReadArchive(a.Path, nil, func(entry string, _ []byte, r *msglog.Record) error {
			if r == nil {
				return fmt.Errorf("%s is not a record", entry)
			}
			got[r.Seq] = r
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, seq := range seqs {
		r := got[seq]
		if r == nil {
			t.Fatalf("seq %d (exchange %d) not archived", seq, i)
		}
		if r.Exchange.MessageID != fmt.Sprintf("msg-%04d", i) || string(r.Exchange.Request.Body) != fmt.Sprintf("<req n='%d'/>", i) {
			t.Fatalf("seq %d holds %+v", seq, r.Exchange)
		}
		if r.Exchange.Response.Digest != msglog.BodyDigest(r.Exchange.Response.Body) {
			t.Fatalf("seq %d: response digest mismatch", seq)
		}
	}
	// The journal was released and state names the last archive.
	if _, err := os.Stat(filepath.Join(dir, "log", "state.json")); err != nil {
		t.Fatal(err)
	}
}

func TestMetadataOnlyAndGrouping(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, func(o *msglog.Options) { o.MetadataOnly = true; o.GroupBy = msglog.GroupSubsystem })
	ctx := context.Background()
	members := []string{"central-server/GOV/70000001/portal", "central-server/GOV/70000001/other", ""}
	for i := 0; i < 9; i++ {
		if _, err := l.Append(ctx, exchange(i, members[i%3])); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	l.Close()
	archives, _ := msglog.ListArchives(filepath.Join(dir, "archive"))
	groups := map[string]int{}
	for _, a := range archives {
		groups[a.Group]++
		msglog.ReadArchive(a.Path, nil, func(entry string, c []byte, r *msglog.Record) error {
			if len(r.Exchange.Request.Body) != 0 || r.Exchange.Request.Digest == "" || r.Exchange.Request.Size == 0 {
				t.Errorf("metadata-only record %s kept its body or lost its digest: %+v", entry, r.Exchange.Request)
			}
			if bytes.Contains(c, []byte("<req n=")) {
				t.Errorf("metadata-only container %s holds the request body", entry)
			}
			return nil
		})
	}
	want := map[string]int{"central-server_GOV_70000001_portal": 1, "central-server_GOV_70000001_other": 1, "local": 1}
	if fmt.Sprint(groups) != fmt.Sprint(want) {
		t.Fatalf("groups = %v, want %v", groups, want)
	}
}

func TestEncryptedArchive(t *testing.T) {
	dir := t.TempDir()
	key := bytes.Repeat([]byte{7}, 32)
	l := openLog(t, dir, func(o *msglog.Options) { o.EncryptionKey = key })
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		l.Append(ctx, exchange(i, "central-server/GOV/70000001/portal"))
	}
	if err := l.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	l.Close()
	archives, _ := msglog.ListArchives(filepath.Join(dir, "archive"))
	if len(archives) != 1 || !strings.HasSuffix(archives[0].Name, ".zip.enc") {
		t.Fatalf("want one .zip.enc archive, got %v", archives)
	}
	raw, _ := os.ReadFile(archives[0].Path)
	if bytes.Contains(raw, []byte("msg-0001")) {
		t.Fatal("encrypted archive contains plaintext")
	}
	if _, err := msglog.OpenArchive(archives[0].Path, nil); err == nil {
		t.Fatal("opened an encrypted archive without a key")
	}
	n := 0
	if err := msglog.ReadArchive(archives[0].Path, key, func(string, []byte, *msglog.Record) error { n++; return nil }); err != nil || n != 5 {
		t.Fatalf("decrypting read: %d records, %v", n, err)
	}
}

// TestOverdueRotationAtOpen: a log opened briefly and often (the CLI's
// access log) rotates at Open once RotateInterval has passed since its
// first Open, even though no process lived that long.
func TestOverdueRotationAtOpen(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	mod := func(o *msglog.Options) { o.Now = clock; o.RotateInterval = 24 * time.Hour }
	for i := 0; i < 3; i++ {
		l := openLog(t, dir, mod)
		if _, err := l.Append(context.Background(), exchange(i, "")); err != nil {
			t.Fatal(err)
		}
		l.Close()
		advance(10 * time.Hour)
	}
	// 30 h after the first Open: this Open archives the three records.
	l := openLog(t, dir, mod)
	l.Close()
	as, _ := msglog.ListArchives(filepath.Join(dir, "archive"))
	if len(as) != 1 {
		t.Fatalf("want one archive after an overdue rotation at Open, got %v", as)
	}
}

// TestLeafVersionOption: records declare leaf version 2 by default
// (leaf="2" on the record element, Record.Leaf 2), none with
// LeafVersion 1 (the bytes tunduk wrote before version 2), whatever the
// appended Record says; other versions are refused at Open.
func TestLeafVersionOption(t *testing.T) {
	for _, v := range []int{-1, 3} {
		_, err := msglog.Open(msglog.Options{Dir: t.TempDir(), ArchiveDir: t.TempDir(), Signer: certstest.Key(t),
			Certificate: &x509.Certificate{}, LeafVersion: v})
		if err == nil || !strings.Contains(err.Error(), "LeafVersion") {
			t.Errorf("LeafVersion %d: %v", v, err)
		}
	}
	for _, c := range []struct{ opt, want int }{{0, 2}, {1, 0}, {2, 2}} {
		dir := t.TempDir()
		l := openLog(t, dir, func(o *msglog.Options) { o.LeafVersion = c.opt })
		r := exchange(1, "")
		r.Leaf = 7 // Append decides
		if _, err := l.Append(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		if err := l.Rotate(context.Background()); err != nil {
			t.Fatal(err)
		}
		l.Close()
		archives, _ := msglog.ListArchives(filepath.Join(dir, "archive"))
		n := 0
		for _, a := range archives {
			msglog.ReadArchive(a.Path, nil, func(entry string, _ []byte, rec *msglog.Record) error {
				n++
				if rec.Leaf != c.want {
					t.Errorf("LeafVersion %d: %s: record leaf %d, want %d", c.opt, entry, rec.Leaf, c.want)
				}
				return nil
			})
		}
		if n == 0 {
			t.Errorf("LeafVersion %d: no record read back", c.opt)
		}
	}
}
