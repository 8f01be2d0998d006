// Package observe is the gateway's operations surface: Prometheus metrics in
// the tunduk_ namespace (base units), the /healthz and /readyz handlers, and
// a zap logger that masks PINs and INNs (14-digit identifiers) in every
// message and string field before anything is written.
//
// Non-goals: tracing; log shipping (journald/systemd collects stdout).
package observe
