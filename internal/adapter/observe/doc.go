// Package observe is the gateway's operations surface: Prometheus metrics in
// the tunduk_ namespace (base units), the /healthz and /readyz handlers, and
// a zap logger that masks PINs and INNs before anything is written: by
// field (identifier keys such as pin, inn, userId, subject, officer
// wholly, whatever the value's length or validity; URL keys by their
// identifier segments) and in free text by context (the token after an
// identifier word, and valid 14-digit PINs/INNs), leaving timestamps,
// archive names and message ids readable.
//
// Non-goals: tracing; log shipping (journald/systemd collects stdout).
package observe
