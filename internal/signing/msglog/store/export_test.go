package store

import "os"

// WithSync returns o with fn in place of fdatasync, so tests count or slow
// down the flushes.
func WithSync(o Options, fn func(*os.File) error) Options {
	o.syncFile = fn
	return o
}

// Fdatasync is the real flush, for tests that wrap it.
var Fdatasync = fdatasync
