package store_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/store"
	"github.com/tunduk-kg/tunduk/internal/testkit/sigkill"
)

const crashEnv = "TUNDUK_STORE_CRASH_DIR"

// crashPayload is the 1 KB record worker w writes as its i-th append.
func crashPayload(w, i int) []byte {
	head := fmt.Sprintf("w%d-i%d|", w, i)
	return append([]byte(head), bytes.Repeat([]byte{byte('a' + (w+i)%26)}, 1024-len(head))...)
}

// TestCrashChild is the child process of TestCrashRecovery: it appends
// under load and prints "seq w i" for every acknowledged append until it
// is killed.
func TestCrashChild(t *testing.T) {
	s, err := store.Open(store.Options{Dir: sigkill.Dir(t, crashEnv), SegmentSize: 256 << 10})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(3)
	}
	sigkill.Load(16, func(w, i int) (string, bool) {
		seq, err := s.Append(context.Background(), crashPayload(w, i))
		return fmt.Sprintf("%d %d %d", seq, w, i), err == nil // an error is backpressure
	})
}

// TestCrashRecovery SIGKILLs a process appending under load 20 times; after
// every restart each acknowledged record must be present with its payload.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test re-executes the test binary 20 times")
	}
	dir := t.TempDir()
	acked := map[uint64][2]int{}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 20; round++ {
		lines := sigkill.Round(t, "TestCrashChild", crashEnv, dir, time.Duration(20+rng.IntN(150))*time.Millisecond)
		for _, l := range lines {
			record(t, acked, l)
		}
		n := len(lines)

		s, err := store.Open(store.Options{Dir: dir, SegmentSize: 256 << 10})
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		got := map[uint64]bool{}
		err = s.Scan(1, func(seq uint64, p []byte) error {
			got[seq] = true
			if wi, ok := acked[seq]; ok && !bytes.Equal(p, crashPayload(wi[0], wi[1])) {
				return fmt.Errorf("seq %d holds the wrong payload", seq)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for seq := range acked {
			if !got[seq] {
				t.Fatalf("round %d: acknowledged seq %d missing after SIGKILL", round, seq)
			}
		}
		if uint64(len(got)) != s.LastSeq() {
			t.Fatalf("round %d: %d records but LastSeq %d (gap)", round, len(got), s.LastSeq())
		}
		s.Close()
		t.Logf("round %d: %d acknowledged this round, %d total, %d in store", round, n, len(acked), len(got))
	}
}

func record(t *testing.T, acked map[uint64][2]int, line string) {
	f := strings.Fields(line)
	if len(f) != 3 {
		t.Fatalf("bad child line %q", line)
	}
	seq, _ := strconv.ParseUint(f[0], 10, 64)
	w, _ := strconv.Atoi(f[1])
	i, _ := strconv.Atoi(f[2])
	acked[seq] = [2]int{w, i}
}
