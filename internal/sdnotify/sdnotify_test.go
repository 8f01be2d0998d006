package sdnotify

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// listen stands in for systemd: a datagram socket at $NOTIFY_SOCKET whose
// messages come out of the returned channel.
func listen(t *testing.T) <-chan string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	out := make(chan string, 64)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(out)
				return
			}
			out <- string(buf[:n])
		}
	}()
	return out
}

func next(t *testing.T, c <-chan string) string {
	t.Helper()
	select {
	case m := <-c:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no notification from the service within 5s")
		return ""
	}
}

func TestReadyAndStopping(t *testing.T) {
	msgs := listen(t)
	n := New(nil)
	n.Ready("gateway listening on 127.0.0.1:9443")
	if m := next(t, msgs); !strings.HasPrefix(m, "READY=1\n") || !strings.Contains(m, "STATUS=gateway listening") {
		t.Fatalf("ready notification = %q", m)
	}
	n.Stopping()
	if m := next(t, msgs); !strings.HasPrefix(m, "STOPPING=1") {
		t.Fatalf("stopping notification = %q", m)
	}
}

func TestNoSocketIsNoOp(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	n := New(nil)
	n.Ready("x")
	if n.sent.Load() != 0 {
		t.Fatal("a notification was counted without a systemd socket")
	}
	t.Setenv("WATCHDOG_USEC", "")
	if err := n.Watchdog(context.Background(), nil); err != nil {
		t.Fatalf("Watchdog without WatchdogSec: %v", err)
	}
}

func TestWatchdogPingsWhileAlive(t *testing.T) {
	msgs := listen(t)
	t.Setenv("WATCHDOG_USEC", "100000") // WatchdogSec=100ms: pings every 50ms
	t.Setenv("WATCHDOG_PID", "")
	var alive atomic.Bool
	alive.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- New(nil).Watchdog(ctx, func() error {
			if alive.Load() {
				return nil
			}
			return errors.New("event loop stuck")
		})
	}()
	for i := 0; i < 3; i++ {
		if m := next(t, msgs); m != "WATCHDOG=1" {
			t.Fatalf("ping %d = %q", i, m)
		}
	}
	alive.Store(false)
	time.Sleep(60 * time.Millisecond) // a ping may have been in flight
	for len(msgs) > 0 {
		<-msgs
	}
	select {
	case m := <-msgs:
		t.Fatalf("watchdog pinged (%q) while not alive", m)
	case <-time.After(300 * time.Millisecond):
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestSIGHUPReloads(t *testing.T) {
	msgs := listen(t)
	// Keep SIGHUP from killing the test binary before HandleReload has
	// registered for it.
	guard := make(chan os.Signal, 4)
	signal.Notify(guard, syscall.SIGHUP)
	defer signal.Stop(guard)

	reloaded := make(chan struct{}, 4)
	fail := atomic.Bool{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go New(nil).HandleReload(ctx, func(context.Context) error { //nolint:errcheck // returns nil on cancel
		reloaded <- struct{}{}
		if fail.Load() {
			return errors.New("mappings: tax-debt.yaml:3: bad")
		}
		return nil
	})
	hup := func() {
		// Resend until the handler has registered (the first may land in guard only).
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			select {
			case <-reloaded:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
		t.Fatal("SIGHUP did not reload")
	}
	hup()
	if m := next(t, msgs); !strings.HasPrefix(m, "RELOADING=1\nMONOTONIC_USEC=") {
		t.Fatalf("reloading notification = %q", m)
	}
	if m := next(t, msgs); !strings.HasPrefix(m, "READY=1\nSTATUS=reloaded") {
		t.Fatalf("after reload = %q", m)
	}
	fail.Store(true)
	hup()
	next(t, msgs) // RELOADING=1
	if m := next(t, msgs); !strings.Contains(m, "READY=1") || !strings.Contains(m, "reload failed") {
		t.Fatalf("after a failed reload = %q, want READY=1 with the failure in STATUS", m)
	}
}

// A request that started before a swap finishes on the old handler; one
// that starts after it uses the new one.
func TestSwappableKeepsInFlightRequests(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	old := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "old")
	})
	s := NewSwappable(old)
	srv := httptest.NewServer(s)
	defer srv.Close()
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get(srv.URL)
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- string(b)
	}()
	<-started
	s.Swap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "new") }))
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "new" {
		t.Fatalf("request after the swap got %q", b)
	}
	close(release)
	if g := <-got; g != "old" {
		t.Fatalf("in-flight request got %q, want it finished by the old handler", g)
	}
}
