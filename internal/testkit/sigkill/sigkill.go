// Package sigkill tests crash recovery the hard way: the test binary runs
// one of its own tests as a child process that writes under load and
// prints a line for every write it acknowledged; the parent SIGKILLs it
// at a random moment and then checks that every acknowledged write
// survived.
package sigkill

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Dir is the child's side: it returns the directory the parent passed in
// the environment variable env, and skips t when there is none (the test
// runs only as a child of Round).
func Dir(t *testing.T, env string) string {
	t.Helper()
	dir := os.Getenv(env)
	if dir == "" {
		t.Skip("child process of a crash test (" + env + " unset)")
	}
	return dir
}

// Load runs workers goroutines; worker w calls write(w, i) for i = 0, 1,
// ... and prints the line of every write that returns ok to stdout,
// flushed at once: the acknowledgement the parent counts on. It returns
// only if every worker does, which they do not: the child is killed.
func Load(workers int, write func(w, i int) (line string, ok bool)) {
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				line, ok := write(w, i)
				if !ok {
					continue // not acknowledged, not reported
				}
				mu.Lock()
				fmt.Fprintln(out, line)
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// Round runs the test named test of this binary as a child with env=dir,
// lets it run for delay after its first acknowledgement (so the kill lands
// under load), SIGKILLs it and returns every line it acknowledged, those
// printed before the kill landed included. A child that acknowledges
// nothing fails t.
func Round(t *testing.T, test, env, dir string, delay time.Duration) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var acked []string
	var kill <-chan time.Time
read:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				break read
			}
			if acked == nil {
				kill = time.After(delay)
			}
			acked = append(acked, l)
		case <-kill:
			break read
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	for l := range lines {
		acked = append(acked, l)
	}
	cmd.Wait()
	if len(acked) == 0 {
		t.Fatalf("%s acknowledged nothing; stderr: %s", test, stderr.String())
	}
	return acked
}
