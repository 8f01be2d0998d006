package verify_test

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tunduk-kg/tunduk/internal/signing/msglog/seal"
	"github.com/tunduk-kg/tunduk/signing/msglog/verify"
)

// incompressible returns n messages of about size bytes whose content does
// not deflate, so archive bytes on disk are what the verifier must read.
func incompressible(n, size int, tag string) []seal.Message {
	msgs := make([]seal.Message, n)
	raw := make([]byte, size*3/4)
	for i := range msgs {
		rand.Read(raw)
		msgs[i].Body = []byte(fmt.Sprintf(`<?xml version="1.0"?><Envelope><Body id="%s-%d">%s</Body></Envelope>`,
			tag, i, base64.StdEncoding.EncodeToString(raw)))
	}
	return msgs
}

// TestVerifyManyArchivesInBoundedMemory verifies a chain of 100 archives
// (about 1.7 MB each, 4 KiB messages, 170 MB in all) in a child process
// and checks its peak RSS (getrusage) stays under 256 MB and well under
// the bytes verified: archives are streamed, not held.
func TestVerifyManyArchivesInBoundedMemory(t *testing.T) {
	if dir := os.Getenv("TUNDUK_VERIFY_SCALE_DIR"); dir != "" {
		rep, err := verify.New(verify.Options{}).Paths([]string{dir}, verify.ChainOptions{First: true})
		if err != nil || !rep.Valid() {
			t.Fatalf("child: valid=%v err=%v", rep != nil && rep.Valid(), err)
		}
		fmt.Printf("containers=%d bytes=%d\n", rep.Containers, rep.Bytes)
		// The peak RSS of this process's own memory: ru_maxrss of a child
		// also counts its parent's RSS when it was started (Linux keeps the
		// high-water mark across exec), VmHWM does not.
		if st, err := os.ReadFile("/proc/self/status"); err == nil {
			for _, line := range strings.Split(string(st), "\n") {
				if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					fmt.Printf("vmhwm_kb=%s\n", strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
				}
			}
		}
		return
	}
	if testing.Short() {
		t.Skip("writes 170 MB of archives")
	}
	const archives, perArchive = 100, 250
	p := newPKI(t, false)
	dir := t.TempDir()
	prev := ""
	var total int64
	for i := 0; i < archives; i++ {
		c := writeBatch(t, p, incompressible(perArchive, 4096, strconv.Itoa(i)), false)
		path, last := writeArchive(t, dir, c, prev, "", p.now.Add(time.Duration(i)*time.Minute))
		st, _ := os.Stat(path)
		total += st.Size()
		prev = last
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestVerifyManyArchivesInBoundedMemory$", "-test.v")
	cmd.Env = append(os.Environ(), "TUNDUK_VERIFY_SCALE_DIR="+dir)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	elapsed := time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	peak := ru.Maxrss * 1024 // Linux reports KiB
	t.Logf("verified %d archives, %.0f MB, in %v (%.0f MB/s wall); peak RSS %.0f MB", archives, float64(total)/1e6, elapsed.Round(time.Millisecond),
		float64(total)/1e6/elapsed.Seconds(), float64(peak)/1e6)
	if peak > 256<<20 {
		t.Errorf("peak RSS %d MB over the 256 MB bound", peak>>20)
	}
	if !raceEnabled && peak > total/2 {
		t.Errorf("peak RSS %d MB is not small beside the %d MB verified: archives are being held", peak>>20, total>>20)
	}
	if want := fmt.Sprintf("containers=%d", archives*perArchive); !strings.Contains(string(out), want) {
		t.Errorf("child did not verify every container (%s):\n%s", want, out)
	}
}
