// Package companion watches the health of tunduk itself for the local
// monitoring centre: the archives of the signed message log and of
// `tunduk archive collect` (the newest archive's age per group, and gaps in
// each group's chain, judged by the verifier's own chain checks from
// linkinginfo alone), the time-stamping authorities (a real RFC 3161
// request at each probe), and the expiry of the TLS and authentication
// certificates. Each is a Prometheus metric (alert rules in
// configs/prometheus/) and a Snapshot the /monitor page shows.
//
// The signing keys' certificate expiry is internal/signing/certs'
// ExpiryCollector, and append-to-durable latency of the signed log is
// tunduk_msglog_append_duration_seconds (internal/signing/msglog); this
// package does not repeat them.
//
// Non-goals: verifying archives (signatures, time-stamps: tunduk archive
// verify does that); reading encrypted archives (they are counted as
// unchecked).
package companion

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/internal/signing/certs"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/asic"
	"github.com/tunduk-kg/tunduk/internal/signing/msglog/tombstone"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
)

// ArchiveRoot is an archive directory to watch: the signed message log's
// archiveDir ("messageLog") or collect's targetDir ("collect"). Its
// sub-directories are groups, as msglog.ListArchives reads them.
type ArchiveRoot struct {
	Name, Dir string
}

// TSA is a time-stamping authority to probe. Stamp sends one RFC 3161
// request for data and verifies the reply (tsa.Client.Timestamp).
type TSA struct {
	Name  string
	Stamp func(ctx context.Context, data []byte) ([]byte, error)
}

// Cert is a TLS or authentication certificate to watch, read at each
// refresh so a renewed file shows without a restart.
type Cert struct {
	// Use names it: "gateway", "provider", "securityServerClient".
	Use  string
	File string
}

// Options configure a Health.
type Options struct {
	Archives []ArchiveRoot
	TSAs     []TSA
	Certs    []Cert
	// KeyCerts, when set, lists the signing keys' certificates: shown in
	// the snapshot beside Certs (their metrics are certs.ExpiryCollector's).
	KeyCerts func() []certs.KeyCert
	// Interval between archive and certificate refreshes (default 1m).
	Interval time.Duration
	// ProbeInterval between TSA probes (default 5m); ProbeTimeout bounds
	// one probe (default 30s).
	ProbeInterval, ProbeTimeout time.Duration
	// Limits bound the reading of each archive's linkinginfo.
	Limits     asic.Limits
	Registerer prometheus.Registerer
	Logger     *zap.Logger
	Now        func() time.Time
}

// Gap is a missing stretch of an archive chain: Archive links to a digest
// no archive of its group ends with. After is the archive before it in time
// order ("" when none is left), From–To the missing records' time range as
// the archive names state it (zero when a name does not say).
type Gap struct {
	Root, Group, Archive, After string
	From, To                    time.Time
	Message                     string
}

// GroupHealth is one archive group's state.
type GroupHealth struct {
	Root, Group string
	Archives    int
	// Newest is when the newest archive was written (its file's
	// modification time); zero when the group has none.
	Newest, NewestName string
	NewestTime         time.Time
	Gaps               []Gap
	// Unchecked archives' linkinginfo could not be read (encrypted or
	// damaged): the chain is not judged across them.
	Unchecked int
}

// TSAHealth is a TSA's last probes.
type TSAHealth struct {
	Name                 string
	Up                   bool
	LastSuccess, LastTry time.Time
	Latency              time.Duration
	Failures             int
	LastError            string
	Probed               bool
}

// CertHealth is a watched certificate.
type CertHealth struct {
	Use, File, Subject string
	NotAfter           time.Time
	Error              string
}

// Snapshot is what the /monitor page shows.
type Snapshot struct {
	Groups     []GroupHealth
	TSAs       []TSAHealth
	Certs      []CertHealth
	ArchiveErr string
}

// Health refreshes and exports the companion's health.
type Health struct {
	o   Options
	log *zap.Logger

	mu     sync.Mutex
	snap   Snapshot
	tsas   map[string]*TSAHealth
	links  map[string]cachedLink // path → linkinginfo ends, while size and mtime hold
	metric metrics
}

type cachedLink struct {
	size  int64
	mtime time.Time
	link  verify.Link
	err   error
}

type metrics struct {
	newest, gaps, unchecked, archives *prometheus.GaugeVec
	tsaUp, tsaLast                    *prometheus.GaugeVec
	tsaDur                            *prometheus.HistogramVec
	tsaFail                           *prometheus.CounterVec
	certExpiry                        *prometheus.GaugeVec
}

// New checks the options and registers the metrics.
func New(o Options) (*Health, error) {
	if o.Interval <= 0 {
		o.Interval = time.Minute
	}
	if o.ProbeInterval <= 0 {
		o.ProbeInterval = 5 * time.Minute
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = 30 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	h := &Health{o: o, log: o.Logger, tsas: map[string]*TSAHealth{}, links: map[string]cachedLink{}}
	for _, t := range o.TSAs {
		if t.Name == "" || t.Stamp == nil {
			return nil, errors.New("companion: a TSA needs a name and a Stamp function")
		}
		h.tsas[t.Name] = &TSAHealth{Name: t.Name}
	}
	g := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "tunduk", Name: name, Help: help}, labels)
	}
	h.metric = metrics{
		newest: g("archive_newest_timestamp_seconds",
			"When the newest archive of the group was written (Unix time); alert on its age.", "root", "group"),
		archives: g("archive_files", "Archives in the group.", "root", "group"),
		gaps: g("archive_chain_gaps",
			"Archives of the group that link to one no archive ends with: a stretch of the log is missing.", "root", "group"),
		unchecked: g("archive_unchecked_files",
			"Archives of the group whose linkinginfo could not be read (encrypted or damaged); the chain is not judged across them.", "root", "group"),
		tsaUp: g("tsa_up", "1 when the last probe of the TSA got a verified time-stamp, else 0.", "tsa"),
		tsaLast: g("tsa_last_success_timestamp_seconds",
			"When a probe of the TSA last got a verified time-stamp (Unix time).", "tsa"),
		tsaDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "tunduk", Name: "tsa_probe_duration_seconds",
			Help: "Time of one TSA probe (request, reply and its verification).", Buckets: prometheus.ExponentialBuckets(0.01, 2, 12)}, []string{"tsa"}),
		tsaFail: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "tunduk", Name: "tsa_probe_failures_total",
			Help: "TSA probes that failed (unreachable, refused, or a reply that does not verify)."}, []string{"tsa"}),
		certExpiry: g("certificate_expiry_timestamp_seconds",
			"When the TLS or authentication certificate expires (NotAfter, Unix time).", "use"),
	}
	if r := o.Registerer; r != nil {
		m := h.metric
		for _, c := range []prometheus.Collector{m.newest, m.archives, m.gaps, m.unchecked, m.tsaUp, m.tsaLast, m.tsaDur, m.tsaFail, m.certExpiry} {
			if err := r.Register(c); err != nil {
				return nil, fmt.Errorf("companion: metrics: %w", err)
			}
		}
	}
	return h, nil
}

// Run refreshes every Interval and probes the TSAs every ProbeInterval
// until ctx ends.
func (h *Health) Run(ctx context.Context) error {
	h.Refresh()
	h.ProbeTSAs(ctx)
	refresh, probe := time.NewTicker(h.o.Interval), time.NewTicker(h.o.ProbeInterval)
	defer refresh.Stop()
	defer probe.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-refresh.C:
			h.Refresh()
		case <-probe.C:
			h.ProbeTSAs(ctx)
		}
	}
}

// Snapshot returns the latest state.
func (h *Health) Snapshot() Snapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.snap
	s.TSAs = nil
	for _, t := range h.o.TSAs {
		s.TSAs = append(s.TSAs, *h.tsas[t.Name])
	}
	return s
}

// Refresh re-reads the archive directories and the certificates.
func (h *Health) Refresh() {
	var groups []GroupHealth
	var errs []string
	seen := map[string]bool{}
	for _, root := range h.o.Archives {
		gs, err := h.archives(root, seen)
		if err != nil {
			errs = append(errs, err.Error())
			h.log.Warn("companion: cannot read an archive directory", zap.String("root", root.Name), zap.Error(err))
		}
		groups = append(groups, gs...)
	}
	cs := h.readCerts()
	h.mu.Lock()
	defer h.mu.Unlock()
	for p := range h.links {
		if !seen[p] {
			delete(h.links, p)
		}
	}
	h.snap.Groups, h.snap.Certs, h.snap.ArchiveErr = groups, cs, strings.Join(errs, "; ")
}

// archives judges one root's groups.
func (h *Health) archives(root ArchiveRoot, seen map[string]bool) ([]GroupHealth, error) {
	list, err := msglog.ListArchives(root.Dir)
	if err != nil {
		return nil, err
	}
	byGroup := map[string][]msglog.Archive{}
	var names []string
	for _, a := range list {
		if a.Group == "invalid" && root.Name == "collect" {
			continue // collect keeps archives that failed verification there
		}
		if byGroup[a.Group] == nil {
			names = append(names, a.Group)
		}
		byGroup[a.Group] = append(byGroup[a.Group], a)
	}
	sort.Strings(names)
	var out []GroupHealth
	for _, g := range names {
		gh := GroupHealth{Root: root.Name, Group: g}
		var links []verify.Link
		anchors := map[string]string{}
		byPath := map[string]msglog.Archive{}
		for _, a := range byGroup[g] {
			seen[a.Path] = true
			if a.Tombstone {
				if ts, err := readTombstone(a.Path); err == nil {
					anchors[strings.ToLower(ts.LastDigest)] = "tombstone of " + ts.Archive
				}
				continue
			}
			gh.Archives++
			if a.ModTime.After(gh.NewestTime) {
				gh.NewestTime, gh.NewestName = a.ModTime, a.Name
			}
			l, err := h.link(a)
			if err != nil {
				gh.Unchecked++
				continue
			}
			links = append(links, l)
			byPath[a.Path] = a
		}
		if !gh.NewestTime.IsZero() {
			gh.Newest = gh.NewestTime.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		order := byGroup[g] // ListArchives' time order
		for _, p := range verify.ChainProblems(g, links, verify.ChainOptions{}, anchors) {
			if p.Code != verify.CodeGap {
				continue // an unanchored start is where the kept log begins
			}
			a := byPath[p.File]
			gap := Gap{Root: root.Name, Group: g, Archive: a.Name, Message: p.Message}
			gap.To, _ = nameTimes(a.Name)
			for i, o := range order {
				if o.Path == a.Path && i > 0 {
					gap.After = order[i-1].Name
					_, gap.From = nameTimes(gap.After)
				}
			}
			gh.Gaps = append(gh.Gaps, gap)
		}
		out = append(out, gh)
		lv := []string{root.Name, g}
		h.metric.archives.WithLabelValues(lv...).Set(float64(gh.Archives))
		h.metric.gaps.WithLabelValues(lv...).Set(float64(len(gh.Gaps)))
		h.metric.unchecked.WithLabelValues(lv...).Set(float64(gh.Unchecked))
		if !gh.NewestTime.IsZero() {
			h.metric.newest.WithLabelValues(lv...).Set(float64(gh.NewestTime.Unix()))
		}
	}
	return out, nil
}

// link returns an archive's linkinginfo ends, read once per file version.
func (h *Health) link(a msglog.Archive) (verify.Link, error) {
	h.mu.Lock()
	c, ok := h.links[a.Path]
	h.mu.Unlock()
	if ok && c.size == a.Size && c.mtime.Equal(a.ModTime) {
		return c.link, c.err
	}
	var l verify.Link
	var err error
	if strings.HasSuffix(a.Name, ".zip") {
		l, err = verify.ReadLink(a.Path, h.o.Limits)
	} else {
		err = errors.New("encrypted archive")
	}
	h.mu.Lock()
	h.links[a.Path] = cachedLink{size: a.Size, mtime: a.ModTime, link: l, err: err}
	h.mu.Unlock()
	return l, err
}

func readTombstone(path string) (*tombstone.Tombstone, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) > 1<<20 {
		return nil, errors.New("tombstone too large")
	}
	return tombstone.Parse(b)
}

// nameTimes returns the first and last record times an archive name
// (mlog-<first>-<last>-…, yyyyMMddHHmmss) states; zero when it does not.
func nameTimes(name string) (first, last time.Time) {
	f := strings.SplitN(name, "-", 4)
	if len(f) < 4 {
		return
	}
	first, _ = time.Parse("20060102150405", f[1])
	last, _ = time.Parse("20060102150405", f[2])
	return first, last
}

// certs reads the watched certificates.
func (h *Health) readCerts() []CertHealth {
	var out []CertHealth
	for _, c := range h.o.Certs {
		ch := CertHealth{Use: c.Use, File: c.File}
		cert, err := readLeaf(c.File)
		if err != nil {
			ch.Error = err.Error()
			h.metric.certExpiry.DeleteLabelValues(c.Use)
		} else {
			ch.Subject, ch.NotAfter = cert.Subject.String(), cert.NotAfter
			h.metric.certExpiry.WithLabelValues(c.Use).Set(float64(cert.NotAfter.Unix()))
		}
		out = append(out, ch)
	}
	if h.o.KeyCerts != nil {
		for _, kc := range h.o.KeyCerts() {
			if kc.Certificate != nil {
				out = append(out, CertHealth{Use: "signing key " + kc.Key, Subject: kc.Certificate.Subject.String(), NotAfter: kc.Certificate.NotAfter})
			}
		}
	}
	return out
}

// ProbeTSAs sends each TSA one time-stamp request and records the outcome.
func (h *Health) ProbeTSAs(ctx context.Context) {
	for _, t := range h.o.TSAs {
		if ctx.Err() != nil {
			return
		}
		h.probe(ctx, t)
	}
}

func (h *Health) probe(ctx context.Context, t TSA) {
	// A fresh random datum: every probe is a real request, never a cached
	// reply.
	var nonce [16]byte
	rand.Read(nonce[:])
	data := []byte("tunduk tsa probe " + hex.EncodeToString(nonce[:]))
	ctx, cancel := context.WithTimeout(ctx, h.o.ProbeTimeout)
	defer cancel()
	start := h.o.Now()
	_, err := t.Stamp(ctx, data)
	took := h.o.Now().Sub(start)
	h.metric.tsaDur.WithLabelValues(t.Name).Observe(took.Seconds())
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.tsas[t.Name]
	s.Probed, s.LastTry, s.Latency = true, start, took
	if err != nil {
		s.Up, s.LastError = false, err.Error()
		s.Failures++
		h.metric.tsaUp.WithLabelValues(t.Name).Set(0)
		h.metric.tsaFail.WithLabelValues(t.Name).Inc()
		h.log.Warn("companion: TSA probe failed", zap.String("tsa", t.Name), zap.Duration("took", took), zap.Error(err))
		return
	}
	s.Up, s.LastSuccess, s.LastError = true, start.Add(took), ""
	h.metric.tsaUp.WithLabelValues(t.Name).Set(1)
	h.metric.tsaLast.WithLabelValues(t.Name).Set(float64(s.LastSuccess.Unix()))
}

// readLeaf reads the first certificate of a PEM file.
func readLeaf(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cs, err := certs.ParseCertificates(b)
	if err == nil && len(cs) == 0 {
		err = errors.New("no certificate")
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cs[0], nil
}
