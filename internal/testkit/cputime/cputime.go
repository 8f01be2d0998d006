// Package cputime reads the CPU time (user + system) the test process has
// used: what the repository's benchmarks and cost tests compare, since,
// unlike the wall clock, it does not grow when the shared machine is busy.
package cputime

import (
	"testing"
	"time"
)

// Process is the CPU time the process has used so far, or 0 where it
// cannot be read (benchmarks then report no CPU figures).
func Process() time.Duration {
	d, _ := process()
	return d
}

// Require is Process for a test whose verdict rests on the figure: where
// the CPU time cannot be read it fails t instead of measuring nothing.
func Require(t testing.TB) time.Duration {
	t.Helper()
	d, err := process()
	if err != nil {
		t.Fatalf("reading the process's CPU time: %v", err)
	}
	return d
}
