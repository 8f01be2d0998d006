//go:build race

package verify_test

// raceEnabled: the race detector multiplies memory, so RSS ratios are not
// measured under it (the absolute bound still is).
const raceEnabled = true
