//go:build !unix

package verify_test

import "time"

// cpuTime is not measured here; benchmarks then omit MB/cpu-s.
func cpuTime() time.Duration { return 0 }
