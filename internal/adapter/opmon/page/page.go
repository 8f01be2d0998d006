// Package page serves the local monitoring centre's /monitor page: the SLA
// of each counterpart service (met, at risk, breached) and the fault codes
// over time, from internal/adapter/opmon's SLA tracker and FaultHistory,
// tunduk's own health from internal/adapter/opmon/companion (certificate
// expiry; archive health: the newest archive's age and gaps in the chain;
// TSA reachability), and the recent outage and maintenance notices
// (internal/adapter/notice). It is server-rendered HTML with inline SVG, no
// scripts, readable on a phone.
//
// Non-goals: history beyond what the trackers keep in memory (Prometheus
// and the Grafana dashboard in configs/prometheus do that).
package page

import (
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/tunduk-kg/tunduk/internal/adapter/notice"
	"github.com/tunduk-kg/tunduk/internal/adapter/opmon"
	"github.com/tunduk-kg/tunduk/internal/adapter/opmon/companion"
)

// Options are the page's sources.
type Options struct {
	SLA    *opmon.SLA
	Faults *opmon.FaultHistory
	// Position, when set, is the collector's position (Unix seconds).
	Position func() int64
	// Notices, when set, lists the notices issued (tunduk notice), oldest
	// first; the page shows the latest ten.
	Notices func() ([]notice.Entry, error)
	// Companion, when set, is tunduk's own health: certificate expiry,
	// archive health (newest archive's age, chain gaps) and TSA probes.
	Companion func() companion.Snapshot
	Now       func() time.Time
}

// Handler renders the page.
func Handler(o Options) http.Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := build(o)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		if err := tmpl.Execute(w, v); err != nil {
			http.Error(w, "cannot render the page", http.StatusInternalServerError)
		}
	})
}

type row struct {
	Service, Side, Window, State string
	Requests, Failed             int
	Availability, Objective, P95 string
	Reason                       string
}

type bar struct {
	X, W       float64
	Segs       []seg
	Title      string
	LabelStart string
}

type seg struct {
	Y, H  float64
	Color string
	Title string
}

type legend struct{ Code, Color string }

type view struct {
	Generated, Position string
	Rows                []row
	Counts              map[string]int
	Bars                []bar
	Legend              []legend
	MaxFaults           int
	Axis                []axisLabel
	Notices             []noticeRow
	NoticesErr          string
	Companion           bool
	Certs               []certRow
	Archives            []archiveRow
	ArchiveErr          string
	TSAs                []tsaRow
}

type certRow struct {
	Use, Subject, Expires, Left, State, Error string
}

type archiveRow struct {
	Root, Group, Newest, Age, State, Label string
	Archives, Unchecked                    int
	Gaps                                   []gapRow
}

type gapRow struct{ After, Archive, Range string }

type tsaRow struct {
	Name, State, LastSuccess, Latency, Error string
	Failures                                 int
}

type noticeRow struct {
	Kind, Period, Services, Text, Delivered string
}

type axisLabel struct {
	X    float64
	Text string
}

var palette = []string{"#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#1f77b4", "#2ca02c", "#393b79"}

const chartW, chartH = 600.0, 160.0

func build(o Options) view {
	now := o.Now()
	v := view{Generated: now.UTC().Format("2006-01-02 15:04:05 UTC"), Counts: map[string]int{}}
	if o.Position != nil {
		if p := o.Position(); p > 0 {
			v.Position = time.Unix(p, 0).UTC().Format("2006-01-02 15:04:05 UTC")
		}
	}
	if o.SLA != nil {
		for _, st := range o.SLA.Statuses() {
			state := "met"
			switch {
			case st.Requests == 0:
				state = "no data"
			case st.Breached:
				state = "breached"
			case st.AtRisk():
				state = "at risk"
			}
			v.Counts[state]++
			side := "consumed"
			if st.Type == "Producer" {
				side = "provided"
			}
			obj := fmt.Sprintf("≥ %s%%", pct(st.Objective.Availability))
			if st.Objective.MaxLatency > 0 {
				obj += fmt.Sprintf(", p%s ≤ %v", trimFloat(st.Objective.Quantile*100), st.Objective.MaxLatency)
			}
			v.Rows = append(v.Rows, row{Service: st.Service, Side: side, Window: windowText(st.Window), State: state, Requests: st.Requests,
				Failed: st.Failed, Availability: pct(st.Availability) + "%", Objective: obj, P95: st.P95.String(), Reason: st.Reason})
		}
		rank := map[string]int{"breached": 0, "at risk": 1, "met": 2, "no data": 3}
		sort.SliceStable(v.Rows, func(i, j int) bool { return rank[v.Rows[i].State] < rank[v.Rows[j].State] })
	}
	if o.Faults != nil {
		buckets, codes := o.Faults.Snapshot(now)
		color := map[string]string{}
		for i, c := range codes {
			color[c] = palette[i%len(palette)]
			v.Legend = append(v.Legend, legend{Code: c, Color: color[c]})
		}
		for _, b := range buckets {
			total := 0
			for _, n := range b.Counts {
				total += n
			}
			v.MaxFaults = max(v.MaxFaults, total)
		}
		w := chartW / float64(max(len(buckets), 1))
		for i, b := range buckets {
			x := float64(i) * w
			y := chartH
			br := bar{X: x, W: max(w-0.5, 0.5), Title: b.Start.Format("15:04")}
			for _, c := range codes {
				n := b.Counts[c]
				if n == 0 || v.MaxFaults == 0 {
					continue
				}
				h := chartH * float64(n) / float64(v.MaxFaults)
				y -= h
				br.Segs = append(br.Segs, seg{Y: y, H: h, Color: color[c], Title: fmt.Sprintf("%s %s: %d", b.Start.Format("15:04"), c, n)})
			}
			v.Bars = append(v.Bars, br)
			if len(buckets) > 1 && i%(max(len(buckets)/4, 1)) == 0 {
				v.Axis = append(v.Axis, axisLabel{X: x, Text: b.Start.Format("15:04")})
			}
		}
	}
	if o.Companion != nil {
		companionRows(&v, o.Companion(), now)
	}
	if o.Notices != nil {
		entries, err := o.Notices()
		if err != nil {
			v.NoticesErr = "cannot read the notices: " + err.Error()
		}
		for i := len(entries) - 1; i >= 0 && len(v.Notices) < 10; i-- {
			e := entries[i]
			period := e.Notice.From.UTC().Format("2006-01-02 15:04")
			if !e.Notice.To.IsZero() {
				period += " – " + e.Notice.To.UTC().Format("2006-01-02 15:04")
			}
			ok := 0
			for _, d := range e.Deliveries {
				if d.Error == "" {
					ok++
				}
			}
			v.Notices = append(v.Notices, noticeRow{Kind: string(e.Notice.Kind), Period: period + " UTC", Services: strings.Join(e.Notice.Services, ", "),
				Text: e.Notice.Text, Delivered: fmt.Sprintf("%d/%d channels", ok, len(e.Deliveries))})
		}
	}
	return v
}

// staleArchive is when the page calls an archive group stale: two default
// rotation intervals (the TundukArchiveStale alert's threshold).
const staleArchive = 48 * time.Hour

func companionRows(v *view, s companion.Snapshot, now time.Time) {
	v.Companion = true
	const day = 24 * time.Hour
	for _, c := range s.Certs {
		r := certRow{Use: c.Use, Subject: c.Subject, Error: c.Error, State: "no data"}
		if c.Error == "" {
			left := c.NotAfter.Sub(now)
			r.Expires = c.NotAfter.UTC().Format("2006-01-02 15:04 UTC")
			switch {
			case left <= 0:
				r.State, r.Left = "breached", "expired"
			case left < 7*day:
				r.State = "breached"
			case left < 30*day:
				r.State = "at risk"
			default:
				r.State = "met"
			}
			if left > 0 {
				r.Left = ago(left) + " left"
			}
		}
		v.Certs = append(v.Certs, r)
	}
	sort.SliceStable(v.Certs, func(i, j int) bool { return v.Certs[i].Expires < v.Certs[j].Expires })
	v.ArchiveErr = s.ArchiveErr
	for _, g := range s.Groups {
		r := archiveRow{Root: g.Root, Group: g.Group, Archives: g.Archives, Unchecked: g.Unchecked, State: "met", Label: "chain complete", Newest: g.Newest}
		if r.Group == "" {
			r.Group = "(all)"
		}
		if !g.NewestTime.IsZero() {
			age := now.Sub(g.NewestTime)
			r.Age = ago(age) + " ago"
			if age > staleArchive {
				r.State, r.Label = "at risk", "stale"
			}
		}
		if g.Unchecked > 0 && r.State == "met" {
			r.State, r.Label = "at risk", fmt.Sprintf("%d unchecked", g.Unchecked)
		}
		for _, gp := range g.Gaps {
			r.State, r.Label = "breached", fmt.Sprintf("%d gap(s)", len(g.Gaps))
			gr := gapRow{After: gp.After, Archive: gp.Archive}
			if !gp.From.IsZero() && !gp.To.IsZero() {
				gr.Range = gp.From.Format("2006-01-02 15:04:05") + " – " + gp.To.Format("2006-01-02 15:04:05")
			}
			r.Gaps = append(r.Gaps, gr)
		}
		v.Archives = append(v.Archives, r)
	}
	for _, t := range s.TSAs {
		r := tsaRow{Name: t.Name, Failures: t.Failures, Error: t.LastError, State: "no data"}
		if t.Probed {
			r.State, r.Latency = "up", t.Latency.Round(time.Millisecond).String()
			if !t.Up {
				r.State = "down"
			}
		}
		if !t.LastSuccess.IsZero() {
			r.LastSuccess = t.LastSuccess.UTC().Format("2006-01-02 15:04:05 UTC") + " (" + ago(now.Sub(t.LastSuccess)) + " ago)"
		} else if t.Probed {
			r.LastSuccess = "never"
		}
		v.TSAs = append(v.TSAs, r)
	}
}

// ago is a rounded duration for people: 3d 4h, 5h 10m, 42s.
func ago(d time.Duration) string {
	switch {
	case d < 0:
		d = 0
		fallthrough
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh %dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd %dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}

func pct(r float64) string { return trimFloat(r * 100) }

func trimFloat(f float64) string {
	s := fmt.Sprintf("%.2f", f)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

func windowText(w time.Duration) string {
	switch {
	case w%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", w/(24*time.Hour))
	case w%time.Hour == 0:
		return fmt.Sprintf("%dh", w/time.Hour)
	}
	return w.String()
}

var tmpl = template.Must(template.New("monitor").Funcs(template.FuncMap{
	"class": func(state string) string { return strings.ReplaceAll(state, " ", "-") },
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tunduk monitoring</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;padding:1rem;color:#222;background:#fafafa;max-width:60rem}
h1{font-size:1.3rem;margin:0 0 .3rem}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.meta{color:#666;font-size:.85rem}
.summary span{display:inline-block;margin:.2rem .6rem .2rem 0;padding:.2rem .6rem;border-radius:1rem;font-size:.9rem}
.breached{background:#fdd;color:#900}.at-risk{background:#ffe9c7;color:#8a4b00}.met{background:#dfd;color:#060}.no-data{background:#eee;color:#555}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(17rem,1fr));gap:.6rem}
.card{background:#fff;border:1px solid #ddd;border-radius:.4rem;padding:.6rem;overflow-wrap:anywhere}
.card .svc{font-family:ui-monospace,monospace;font-size:.8rem}
.card .state{float:right;padding:.1rem .5rem;border-radius:1rem;font-size:.8rem}
.card dl{display:grid;grid-template-columns:auto 1fr;gap:.1rem .6rem;margin:.4rem 0 0;font-size:.85rem}
.card dt{color:#666}
.reason{font-size:.8rem;color:#900;margin-top:.3rem}
svg{width:100%;height:auto;background:#fff;border:1px solid #ddd;border-radius:.4rem}
.legend span{display:inline-block;margin:.3rem .8rem 0 0;font-size:.8rem;font-family:ui-monospace,monospace}
.up{background:#dfd;color:#060}.down{background:#fdd;color:#900}
.gaps{margin:.3rem 0 0;padding-left:1.1rem;font-size:.8rem;color:#900;overflow-wrap:anywhere}
.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}
</style>
</head>
<body>
<h1>Tunduk local monitoring</h1>
<p class="meta">Generated {{.Generated}}{{if .Position}} · operational data collected up to {{.Position}}{{end}}</p>

<h2>SLA per counterpart service</h2>
<p class="summary">{{range $state, $n := .Counts}}<span class="{{class $state}}">{{$state}}: {{$n}}</span>{{end}}</p>
{{if .Rows}}<div class="cards">
{{range .Rows}}<div class="card"><span class="state {{class .State}}">{{.State}}</span>
<div class="svc">{{.Service}}</div>
<dl><dt>side</dt><dd>{{.Side}}</dd><dt>window</dt><dd>{{.Window}}</dd>
<dt>requests</dt><dd>{{.Requests}} ({{.Failed}} failed)</dd>
<dt>availability</dt><dd>{{.Availability}}</dd><dt>p95</dt><dd>{{.P95}}</dd><dt>objective</dt><dd>{{.Objective}}</dd></dl>
{{if .Reason}}<div class="reason">{{.Reason}}</div>{{end}}
</div>
{{end}}</div>{{else}}<p>No operational data collected yet.</p>{{end}}

<h2>Fault codes over time</h2>
{{if .MaxFaults}}<svg viewBox="0 -10 600 190" role="img" aria-label="failed requests by fault code per interval (max {{.MaxFaults}})">
{{range .Bars}}<g>{{$b := .}}{{range .Segs}}<rect x="{{printf "%.2f" $b.X}}" y="{{printf "%.2f" .Y}}" width="{{printf "%.2f" $b.W}}" height="{{printf "%.2f" .H}}" fill="{{.Color}}"><title>{{.Title}}</title></rect>{{end}}</g>
{{end}}<line x1="0" y1="160" x2="600" y2="160" stroke="#999"/>
{{range .Axis}}<text x="{{printf "%.2f" .X}}" y="176" font-size="10" fill="#666">{{.Text}}</text>{{end}}
<text x="596" y="0" font-size="10" fill="#666" text-anchor="end">max {{.MaxFaults}}</text>
</svg>
<p class="legend">{{range .Legend}}<span><i style="background:{{.Color}}"></i>{{.Code}}</span>{{end}}</p>
{{else}}<p>No failed requests in the period shown.</p>{{end}}

{{if .Companion}}<h2>Certificate expiry</h2>
{{if .Certs}}<div class="cards">{{range .Certs}}<div class="card"><span class="state {{class .State}}">{{if .Error}}unreadable{{else}}{{.Left}}{{end}}</span>
<div class="svc">{{.Use}}</div>
{{if .Error}}<div class="reason">{{.Error}}</div>{{else}}<dl><dt>subject</dt><dd>{{.Subject}}</dd><dt>expires</dt><dd>{{.Expires}}</dd></dl>{{end}}
</div>
{{end}}</div>{{else}}<p>No certificates configured.</p>{{end}}

<h2>Archive health</h2>
{{if .ArchiveErr}}<p class="reason">{{.ArchiveErr}}</p>{{end}}
{{if .Archives}}<div class="cards">{{range .Archives}}<div class="card"><span class="state {{class .State}}">{{.Label}}</span>
<div class="svc">{{.Root}} · {{.Group}}</div>
<dl><dt>archives</dt><dd>{{.Archives}}{{if .Unchecked}} ({{.Unchecked}} unchecked){{end}}</dd>
<dt>newest</dt><dd>{{if .Newest}}{{.Newest}} ({{.Age}}){{else}}none{{end}}</dd></dl>
{{if .Gaps}}<ul class="gaps">{{range .Gaps}}<li>missing before {{.Archive}}{{if .After}}, after {{.After}}{{end}}{{if .Range}} (records {{.Range}}){{end}}</li>{{end}}</ul>{{end}}
</div>
{{end}}</div>{{else}}<p>No archives yet.</p>{{end}}

<h2>Time-stamping authorities</h2>
{{if .TSAs}}<div class="cards">{{range .TSAs}}<div class="card"><span class="state {{class .State}}">{{.State}}</span>
<div class="svc">{{.Name}}</div>
<dl><dt>last success</dt><dd>{{if .LastSuccess}}{{.LastSuccess}}{{else}}not probed yet{{end}}</dd>
{{if .Latency}}<dt>latency</dt><dd>{{.Latency}}</dd>{{end}}<dt>failures</dt><dd>{{.Failures}}</dd></dl>
{{if .Error}}<div class="reason">{{.Error}}</div>{{end}}
</div>
{{end}}</div>{{else}}<p>No TSA configured (batches are not time-stamped).</p>{{end}}
{{end}}

<h2>Recent notices</h2>
{{if .NoticesErr}}<p class="reason">{{.NoticesErr}}</p>{{end}}
{{if .Notices}}<div class="cards">{{range .Notices}}<div class="card"><span class="state at-risk">{{.Kind}}</span>
<div>{{.Period}}</div><div class="svc">{{.Services}}</div><p>{{.Text}}</p><div class="meta">delivered to {{.Delivered}}</div></div>
{{end}}</div>{{else}}<p>No notices issued.</p>{{end}}
</body>
</html>
`))
