package soap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/testkit/cputime"
	"github.com/tunduk-kg/tunduk/soap/xroadtest/corpus"
)

// Cost bounds per input byte for parse + validate. work is the scanner's
// and namespace stack's non-advancing steps (attribute comparisons, set
// probes, binding searches); an input of n bytes may cost at most
// workPerByte·n + workSlack of them and allocate at most
// allocPerByte·n + allocSlack bytes. Real messages sit far below
// (getstate.query: work ≈ 0.1 per byte, ≈ 4 allocated bytes per byte);
// a quadratic case outgrows any such line once the input is a few
// hundred bytes.
const (
	workPerByte  = 8
	workSlack    = 1024
	allocPerByte = 48
	allocSlack   = 96 << 10
)

// parseCost parses and validates in as text/xml and reports the work
// counted and the bytes allocated.
func parseCost(in []byte, lim Limits) (work int, alloc uint64) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m, err := ParseBytes(in, "text/xml", lim)
	if err == nil {
		work = m.work
		_ = m.Validate(RoleAny)
	} else {
		// a rejected message's work is not kept; parse again to count it
		var probe Message
		probe.soap, probe.view = in, in
		_ = probe.scan(lim.withDefaults())
		work = probe.work
	}
	runtime.ReadMemStats(&after)
	return work, after.TotalAlloc - before.TotalAlloc
}

// checkCost says how in exceeds the per-byte bounds, or nil.
func checkCost(in []byte, lim Limits) error {
	work, alloc := parseCost(in, lim)
	n := len(in)
	if work > workPerByte*n+workSlack {
		return fmt.Errorf("parse of %d bytes took %d steps (bound %d·n+%d): superlinear", n, work, workPerByte, workSlack)
	}
	if alloc > uint64(allocPerByte*n+allocSlack) {
		return fmt.Errorf("parse of %d bytes allocated %d bytes (bound %d·n+%d)", n, alloc, allocPerByte, allocSlack)
	}
	return nil
}

// FuzzParseCost fails when parse + validate costs more per input byte than
// the bounds above: it looks for the next quadratic case in the scanner,
// the namespace stack and the header decoding.
func FuzzParseCost(f *testing.F) {
	for _, b := range corpus.Files(f, "soap/*.query") {
		if !bytes.HasPrefix(b, []byte("--")) {
			f.Add(b)
		}
	}
	f.Add(envelopeWithAttrs(64, false))
	f.Add(envelopeWithNamespaces(40, 40))
	f.Add([]byte(`<a xmlns:p="u" p:x="1" x="2" y="3"><p:b/></a>`))
	f.Fuzz(func(t *testing.T, in []byte) {
		if err := checkCost(in, Limits{}); err != nil {
			t.Fatal(err)
		}
	})
}

// envelopeWithAttrs is a request whose body wrapper has n attributes
// a0…a(n-1) (the last repeating the first when dup).
func envelopeWithAttrs(n int, dup bool) []byte {
	var b bytes.Buffer
	b.WriteString(`<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><op`)
	for i := range n {
		if dup && i == n-1 {
			b.WriteString(` a0="v"`)
			continue
		}
		fmt.Fprintf(&b, ` a%d="v"`, i)
	}
	b.WriteString(`/></SOAP-ENV:Body></SOAP-ENV:Envelope>`)
	return b.Bytes()
}

// envelopeWithNamespaces declares decls prefixes on the envelope and then
// nests elems elements that each resolve the default namespace (the
// search that used to walk every declaration in scope).
func envelopeWithNamespaces(decls, elems int) []byte {
	var b bytes.Buffer
	b.WriteString(`<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:d"`)
	for i := range decls {
		fmt.Fprintf(&b, ` xmlns:p%d="urn:p%d"`, i, i)
	}
	b.WriteString(`><SOAP-ENV:Body><op>`)
	for range elems {
		b.WriteString(`<a/>`)
	}
	b.WriteString(`</op></SOAP-ENV:Body></SOAP-ENV:Envelope>`)
	return b.Bytes()
}

// TestManyAttributesLinear is issue 13's case: 40,000 attributes (430 KB)
// took 2.8 s of CPU when each was compared with every earlier one. With
// the cap raised out of the way, duplicate detection now costs a step per
// attribute, and a duplicate at the very end is still found.
func TestManyAttributesLinear(t *testing.T) {
	const n = 40000
	lim := Limits{MaxAttrs: n + 1}
	in := envelopeWithAttrs(n, false)
	c0 := cputime.Require(t)
	m, err := ParseBytes(in, "text/xml", lim)
	cpu := cputime.Require(t) - c0
	if err != nil {
		t.Fatalf("%d distinct attributes: %v", n, err)
	}
	if m.work > 3*n {
		t.Errorf("%d attributes cost %d steps, want ≤ %d (linear)", n, m.work, 3*n)
	}
	if cpu > time.Second {
		t.Errorf("%d attributes took %v of CPU, want well under a second (was 2.8 s when quadratic)", n, cpu)
	}

	_, err = ParseBytes(envelopeWithAttrs(n, true), "text/xml", lim)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Code != CodeInvalidSoap || !strings.Contains(ve.Detail, "attribute a0 repeated") {
		t.Fatalf("duplicate as attribute %d: got %v, want InvalidSoap naming a0", n, err)
	}
}

// TestAttributeCap: with the default limits, an element with more than
// DefaultMaxAttrs attributes is refused with a message naming the cap, and
// one at the cap is read.
func TestAttributeCap(t *testing.T) {
	if _, err := ParseBytes(envelopeWithAttrs(DefaultMaxAttrs, false), "text/xml", Limits{}); err != nil {
		t.Fatalf("%d attributes (the cap): %v", DefaultMaxAttrs, err)
	}
	_, err := ParseBytes(envelopeWithAttrs(40000, false), "text/xml", Limits{})
	var ve *ValidationError
	if !errors.As(err, &ve) || !strings.Contains(ve.Detail, fmt.Sprintf("more than %d attributes", DefaultMaxAttrs)) {
		t.Fatalf("40000 attributes: got %v, want the attribute cap", err)
	}
}

// TestNameAndTextCaps: over-long names and text tokens are refused with
// the limit in the message.
func TestNameAndTextCaps(t *testing.T) {
	env := func(inner string) []byte {
		return []byte(`<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>` + inner + `</SOAP-ENV:Body></SOAP-ENV:Envelope>`)
	}
	long := strings.Repeat("n", DefaultMaxNameBytes+1)
	for _, c := range []struct {
		name string
		in   []byte
		lim  Limits
		want string
	}{
		{"element name", env("<" + long + "/>"), Limits{}, "name longer than"},
		{"attribute name", env("<op " + long + `="1"/>`), Limits{}, "name longer than"},
		{"text", env("<op>" + strings.Repeat("x", 101) + "</op>"), Limits{MaxTextBytes: 100}, "text of 101 bytes exceeds"},
		{"attribute value", env(`<op a="` + strings.Repeat("x", 101) + `"/>`), Limits{MaxTextBytes: 100}, "attribute value of 101 bytes"},
		{"comment", env("<!--" + strings.Repeat("x", 101) + "-->"), Limits{MaxTextBytes: 100}, "comment of 101 bytes"},
		{"CDATA", env("<op><![CDATA[" + strings.Repeat("x", 101) + "]]></op>"), Limits{MaxTextBytes: 100}, "CDATA section of 101 bytes"},
	} {
		_, err := ParseBytes(c.in, "text/xml", c.lim)
		var ve *ValidationError
		if !errors.As(err, &ve) || !strings.Contains(ve.Detail, c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

// TestNamespaceFloodLinear: many declarations in scope do not make each
// element's name resolution walk all of them.
func TestNamespaceFloodLinear(t *testing.T) {
	in := envelopeWithNamespaces(DefaultMaxAttrs-3, 50000)
	m, err := ParseBytes(in, "text/xml", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if m.work > len(in) {
		t.Errorf("%d bytes with %d declarations in scope cost %d steps, want ≤ %d", len(in), DefaultMaxAttrs-3, m.work, len(in))
	}
}

// TestParseStopsAtContext: a done context stops the parse with its error
// (not a validation error: the message was not found bad), even inside a
// single element with many attributes.
func TestParseStopsAtContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := envelopeWithAttrs(40000, false)
	_, err := ParseBytes(in, "text/xml", Limits{MaxAttrs: 50000, Context: ctx})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled parse: got %v, want context.Canceled", err)
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		t.Fatalf("cancelled parse reported as a validation error: %v", err)
	}
	dctx, dcancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer dcancel()
	if _, err := ParseBytes(envelopeWithNamespaces(10, 5000), "text/xml", Limits{Context: dctx}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("parse past its deadline: got %v, want context.DeadlineExceeded", err)
	}
	if _, err := ParseBytes(envelopeWithNamespaces(10, 5000), "text/xml", Limits{Context: context.Background()}); err != nil {
		t.Fatalf("live context: %v", err)
	}
}

// TestCostBoundCatchesQuadraticAttrs shows the fuzz target's bound finds
// the old quadratic duplicate check: with the set disabled (every
// attribute compared with every earlier one, as before), an element with
// 256 attributes fails checkCost; with it, it passes.
func TestCostBoundCatchesQuadraticAttrs(t *testing.T) {
	in := envelopeWithAttrs(DefaultMaxAttrs, false)
	if err := checkCost(in, Limits{}); err != nil {
		t.Fatalf("linear detection: %v", err)
	}
	old := linearAttrs
	linearAttrs = 1 << 30
	defer func() { linearAttrs = old }()
	if err := checkCost(in, Limits{}); err == nil {
		t.Fatal("the cost bound did not notice quadratic duplicate detection")
	} else {
		t.Logf("old behaviour caught: %v", err)
	}
}

// TestRealMessagesWithinCost: every corpus message parses well inside the
// bound (so the bound is not tuned to fail on ordinary traffic).
func TestRealMessagesWithinCost(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(corpus.Dir(t, "soap"), "*.query"))
	if len(paths) == 0 {
		t.Fatal("no corpus messages")
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil || bytes.HasPrefix(b, []byte("--")) {
			continue
		}
		if err := checkCost(b, Limits{}); err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
		}
	}
}
