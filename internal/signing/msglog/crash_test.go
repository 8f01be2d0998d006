package msglog_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog"
	"github.com/tunduk-kg/tunduk/internal/testkit/sigkill"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
)

const crashEnv = "TUNDUK_MSGLOG_CRASH_DIR"

func crashOptions(o *msglog.Options) {
	o.BatchInterval = 5 * time.Millisecond
	o.RotateSize = 64 << 10 // rotate often, so kills land in rotations too
	o.SegmentSize = 32 << 10
}

// TestLogCrashChild is the child of TestLogCrashRecovery: it appends 1 KB
// exchanges from 16 goroutines, printing "seq message-id" for each
// acknowledged one, until it is killed.
func TestLogCrashChild(t *testing.T) {
	l := openLog(t, sigkill.Dir(t, crashEnv), crashOptions)
	sigkill.Load(16, func(w, i int) (string, bool) {
		r := exchange(w*1_000_000+i, "central-server/GOV/70000001/portal")
		r.Exchange.Request.Body = bytes.Repeat([]byte{'q'}, 1024)
		seq, err := l.Append(context.Background(), r)
		return fmt.Sprintf("%d %s", seq, r.Exchange.MessageID), err == nil
	})
}

// TestLogCrashRecovery SIGKILLs a process appending to the log under load
// 20 times. After each restart every acknowledged record must end up in the
// archives exactly once, with the message id it was appended with, and the
// archives' linkinginfo must form one unbroken chain.
func TestLogCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test re-executes the test binary 20 times")
	}
	dir := t.TempDir()
	acked := map[uint64]string{}
	verified := map[string]bool{}
	lastVerified := ""
	rng := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 20; round++ {
		lines := sigkill.Round(t, "TestLogCrashChild", crashEnv, dir, time.Duration(30+rng.IntN(200))*time.Millisecond)
		for _, line := range lines {
			f := strings.Fields(line)
			seq, _ := strconv.ParseUint(f[0], 10, 64)
			acked[seq] = f[1]
		}
		// Restart, archive everything, and check.
		l := openLog(t, dir, crashOptions)
		if err := l.Rotate(context.Background()); err != nil {
			t.Fatalf("round %d: rotate after restart: %v", round, err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		archived := checkArchives(t, filepath.Join(dir, "archive"))
		// Verify the archives written since the last round, anchored to the
		// last digest verified before (the whole chain is re-linked above).
		all, _ := msglog.ListArchives(filepath.Join(dir, "archive"))
		var fresh []string
		for _, a := range all {
			if !verified[a.Path] {
				fresh = append(fresh, a.Path)
				verified[a.Path] = true
			}
		}
		if len(fresh) == 0 {
			continue
		}
		rep, err := verify.New(verify.Options{}).Paths(fresh, verify.ChainOptions{Prev: lastVerified, First: lastVerified == ""})
		if err != nil {
			t.Fatal(err)
		}
		lastVerified = rep.Files[len(rep.Files)-1].LastDigest
		if !rep.Valid() {
			var b bytes.Buffer
			rep.WriteText(&b)
			t.Fatalf("round %d: archives do not verify after SIGKILL:\n%s", round, b.String())
		}
		for seq, id := range acked {
			got, ok := archived[seq]
			if !ok {
				t.Fatalf("round %d: acknowledged record %d (%s) missing after SIGKILL", round, seq, id)
			}
			if got != id {
				t.Fatalf("round %d: record %d holds %s, acknowledged as %s", round, seq, got, id)
			}
		}
		t.Logf("round %d: %d acknowledged this round, %d total, %d archived", round, len(lines), len(acked), len(archived))
	}
}

// checkArchives reads every archive in order, checks that each links to the
// previous one and that no record appears twice, and returns seq → message id.
func checkArchives(t *testing.T, root string) map[uint64]string {
	t.Helper()
	archives, err := msglog.ListArchives(root)
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint64]string{}
	prevLast := "-"
	for _, a := range archives {
		prev, last, _ := linkinginfoChain(t, a.Path)
		if prev != prevLast {
			t.Fatalf("%s links to %s, previous archive ended at %s", a.Name, prev, prevLast)
		}
		prevLast = last
		err := msglog.ReadArchive(a.Path, nil, func(entry string, _ []byte, r *msglog.Record) error {
			if _, dup := out[r.Seq]; dup {
				return fmt.Errorf("record %d archived twice (again in %s)", r.Seq, a.Name)
			}
			out[r.Seq] = r.Exchange.MessageID
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}
