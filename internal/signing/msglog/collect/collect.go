// Package collect copies a security server's message-log archives to
// long-term storage, verifying each one first.
//
// The X-Road security server writes mlog-*.zip archives into its archive
// directory (/var/lib/xroad by default) and, depending on its settings,
// deletes or transfers them later. Collect scans that directory, and for
// every archive it has not copied yet, in name (= time) order: verifies it
// with the independent verifier (linkinginfo, hash chains, signatures,
// time-stamps and, with trust material, certificates), checks that it links
// to the last archive collected, and copies it atomically to the target.
// A broken link is a gap: an archive went missing before it was collected.
// Gaps and invalid archives are alerted on (an error log line and a
// Prometheus counter); invalid archives are still kept, under
// target/invalid/, because evidence is never thrown away.
//
// State (the last linking digest and the names copied) is in
// target/collect-state.json, replaced atomically after each copy.
//
// Encrypted archives (.zip.gpg) are verified when Verify.Decrypt holds the
// key, and otherwise copied as they are and reported as unverified.
// Non-goal: deleting anything from the source.
package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/internal/atomicfile"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
)

// Options configure a Collector.
type Options struct {
	// SourceDir is the security server's archive directory.
	SourceDir string
	// TargetDir is the long-term storage.
	TargetDir string
	// Verify configures the verifier (trust material, limits).
	Verify verify.Options
	// Registerer, when set, receives the collector's metrics.
	Registerer prometheus.Registerer
	// Logger (default zap.NewNop()).
	Logger *zap.Logger
}

// Outcome is what happened to one archive.
type Outcome struct {
	Name       string
	Copied     string // destination path
	Gap        bool   // it does not link to the last archive collected
	Invalid    bool   // verification failed (see Problems)
	Unverified bool   // encrypted (.gpg): copied without verification
	LastDigest string
	Problems   []*verify.Problem
}

// Collector collects archives. Use one per target directory.
type Collector struct {
	opts    Options
	log     *zap.Logger
	state   *state
	metrics metrics
}

type state struct {
	LastDigest  string          `json:"lastDigest"`
	LastArchive string          `json:"lastArchive"`
	Copied      map[string]bool `json:"copied"`
}

type metrics struct {
	collected, gaps, invalid, unverified prometheus.Counter
	lastSuccess                          prometheus.Gauge
}

const stateFile = "collect-state.json"

// New opens (creating) the target directory and its state.
func New(opts Options) (*Collector, error) {
	if opts.SourceDir == "" || opts.TargetDir == "" {
		return nil, errors.New("collect: SourceDir and TargetDir are required")
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if err := os.MkdirAll(opts.TargetDir, 0o750); err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	c := &Collector{opts: opts, log: opts.Logger, state: &state{Copied: map[string]bool{}}}
	data, err := os.ReadFile(filepath.Join(opts.TargetDir, stateFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("collect: %w", err)
	default:
		if err := json.Unmarshal(data, c.state); err != nil {
			return nil, fmt.Errorf("collect: %s: %w", stateFile, err)
		}
		if c.state.Copied == nil {
			c.state.Copied = map[string]bool{}
		}
	}
	name := func(n string) string { return prometheus.BuildFQName("tunduk", "msglog_collect", n) }
	c.metrics = metrics{
		collected:   prometheus.NewCounter(prometheus.CounterOpts{Name: name("archives_total"), Help: "Security-server archives copied to long-term storage."}),
		gaps:        prometheus.NewCounter(prometheus.CounterOpts{Name: name("gaps_total"), Help: "Archives that do not link to the previously collected one (an archive is missing)."}),
		invalid:     prometheus.NewCounter(prometheus.CounterOpts{Name: name("invalid_total"), Help: "Archives that failed verification (kept under invalid/)."}),
		unverified:  prometheus.NewCounter(prometheus.CounterOpts{Name: name("unverified_total"), Help: "Encrypted archives copied without verification."}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{Name: name("last_success_timestamp_seconds"), Help: "When a scan last completed."}),
	}
	if r := opts.Registerer; r != nil {
		for _, m := range []prometheus.Collector{c.metrics.collected, c.metrics.gaps, c.metrics.invalid, c.metrics.unverified, c.metrics.lastSuccess} {
			if err := r.Register(m); err != nil {
				return nil, fmt.Errorf("collect: metrics: %w", err)
			}
		}
	}
	return c, nil
}

// Scan collects every archive in the source not collected yet and
// returns what happened to each.
func (c *Collector) Scan(ctx context.Context) ([]Outcome, error) {
	ents, err := os.ReadDir(c.opts.SourceDir)
	if err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	var names []string
	for _, e := range ents {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasPrefix(n, "mlog-") && (strings.HasSuffix(n, ".zip") || strings.HasSuffix(n, ".zip.gpg")) && !c.state.Copied[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var out []Outcome
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		o, err := c.collect(n)
		if err != nil {
			return out, err
		}
		out = append(out, *o)
	}
	c.metrics.lastSuccess.SetToCurrentTime()
	return out, nil
}

func (c *Collector) collect(name string) (*Outcome, error) {
	src := filepath.Join(c.opts.SourceDir, name)
	data, err := os.ReadFile(src)
	if err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	o := &Outcome{Name: name}
	dstDir := c.opts.TargetDir
	if strings.HasSuffix(name, ".gpg") && len(c.opts.Verify.Decrypt) == 0 {
		o.Unverified = true
		c.metrics.unverified.Inc()
		c.log.Warn("msglog collect: encrypted archive copied without verification", zap.String("archive", name))
	} else {
		v := verify.New(c.opts.Verify)
		// Verify against the archive's own claimed link, then judge the
		// link separately so a gap does not hide other problems.
		var fr *verify.FileReport
		if strings.HasSuffix(name, ".gpg") {
			fr = v.ArchiveFile(src, verify.ChainOptions{})
		} else {
			fr = v.Archive(src, data, verify.ChainOptions{})
		}
		o.LastDigest = fr.LastDigest
		o.Problems = fr.Problems
		// The link to the last archive collected is judged by the
		// verifier's chain checks, anchored there as --prev anchors them.
		if c.state.LastDigest != "" && len(verify.ChainProblems(c.opts.SourceDir,
			[]verify.Link{{Path: src, Prev: fr.PrevDigest, Last: fr.LastDigest}}, verify.ChainOptions{Prev: c.state.LastDigest}, nil)) > 0 {
			o.Gap = true
			c.metrics.gaps.Inc()
			c.log.Error("msglog collect: GAP in the security server's archive chain: an archive is missing",
				zap.String("archive", name), zap.String("linksTo", fr.PrevDigest),
				zap.String("lastCollected", c.state.LastArchive), zap.String("lastDigest", c.state.LastDigest))
		}
		if len(fr.Problems) > 0 {
			o.Invalid = true
			c.metrics.invalid.Inc()
			dstDir = filepath.Join(c.opts.TargetDir, "invalid")
			for _, p := range fr.Problems {
				c.log.Error("msglog collect: archive failed verification; kept under invalid/",
					zap.String("archive", name), zap.String("container", p.Container), zap.String("code", p.Code), zap.String("problem", p.Message))
			}
		}
	}
	dst := filepath.Join(dstDir, name)
	if err := copyAtomic(dst, data); err != nil {
		return nil, err
	}
	o.Copied = dst
	c.state.Copied[name] = true
	if !o.Invalid && o.LastDigest != "" {
		c.state.LastDigest, c.state.LastArchive = o.LastDigest, name
	}
	if err := c.saveState(); err != nil {
		return nil, err
	}
	c.metrics.collected.Inc()
	c.log.Info("msglog collect: archive collected", zap.String("archive", name), zap.String("to", dst),
		zap.Bool("gap", o.Gap), zap.Bool("invalid", o.Invalid))
	return o, nil
}

// Run scans every interval until ctx ends.
func (c *Collector) Run(ctx context.Context, interval time.Duration, report func([]Outcome)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		out, err := c.Scan(ctx)
		if err != nil && ctx.Err() == nil {
			c.log.Error("msglog collect: scan failed; will retry", zap.Error(err))
		}
		if report != nil && len(out) > 0 {
			report(out)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (c *Collector) saveState() error {
	data, _ := json.MarshalIndent(c.state, "", "  ")
	return copyAtomic(filepath.Join(c.opts.TargetDir, stateFile), data)
}

// copyAtomic writes data to path so that a crash leaves either nothing or
// the whole file.
func copyAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("collect: %w", err)
	}
	if err := atomicfile.WriteFile(path, data, 0o640); err != nil {
		return fmt.Errorf("collect: %w", err)
	}
	return nil
}
