// Package sdnotify is tunduk's side of the systemd service protocol
// (sd_notify(3), Type=notify in configs/systemd/tunduk.service): readiness
// once the listeners are bound, the watchdog while the process is alive,
// STOPPING=1 on shutdown, and SIGHUP as "reload": RELOADING=1, the caller's
// reload function, READY=1 again. A failed reload keeps the running
// configuration and is logged; the service stays up.
//
// Outside systemd (no $NOTIFY_SOCKET) every call is a no-op, so `tunduk
// serve` behaves the same in a terminal. Non-goals: socket activation and
// file-descriptor passing.
package sdnotify

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"go.uber.org/zap"
)

// Notifier sends state changes to systemd's notification socket.
type Notifier struct {
	log *zap.Logger
	// sent counts notifications delivered, for tests and the debug log.
	sent atomic.Int64
}

// New returns a Notifier logging to log (nil: discarded).
func New(log *zap.Logger) *Notifier {
	if log == nil {
		log = zap.NewNop()
	}
	return &Notifier{log: log.Named("sdnotify")}
}

// notify sends one state; a failure to reach systemd is logged, never
// fatal: the gateway serves with or without its supervisor.
func (n *Notifier) notify(state string) {
	ok, err := daemon.SdNotify(false, state)
	if err != nil {
		n.log.Warn("systemd notification failed", zap.String("state", state), zap.Error(err))
		return
	}
	if ok {
		n.sent.Add(1)
	}
}

// Ready tells systemd the service is up (READY=1) with a status line.
func (n *Notifier) Ready(status string) {
	n.notify(daemon.SdNotifyReady + "\nSTATUS=" + status)
}

// Stopping tells systemd a graceful shutdown has begun.
func (n *Notifier) Stopping() {
	n.notify(daemon.SdNotifyStopping + "\nSTATUS=shutting down: finishing in-flight checks")
}

// Watchdog pings systemd's watchdog (WATCHDOG=1) at half of WatchdogSec
// until ctx ends, as long as alive reports no error; when alive fails the
// pings stop and systemd restarts the service once WatchdogSec passes. It
// returns nil at once when the unit has no watchdog.
func (n *Notifier) Watchdog(ctx context.Context, alive func() error) error {
	every, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		return fmt.Errorf("sdnotify: watchdog: %w", err)
	}
	if every <= 0 {
		return nil
	}
	t := time.NewTicker(every / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if alive != nil {
				if err := alive(); err != nil {
					n.log.Error("not alive: watchdog pings withheld, systemd will restart the service", zap.Error(err))
					continue
				}
			}
			n.notify(daemon.SdNotifyWatchdog)
		}
	}
}

// HandleReload runs reload on every SIGHUP until ctx ends, framed by
// RELOADING=1 and READY=1 (systemd's Type=notify-reload protocol, which
// plain Type=notify accepts as well). Reloads never overlap; a failed
// reload is logged and the previous configuration stays in force.
func (n *Notifier) HandleReload(ctx context.Context, reload func(context.Context) error) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-hup:
			n.notify(daemon.SdNotifyReloading + "\n" + daemon.SdNotifyMonotonicUsec())
			start := time.Now()
			if err := reload(ctx); err != nil {
				n.log.Error("reload failed; the running configuration stays in force", zap.Error(err))
				n.Ready("reload failed, running the previous configuration: " + err.Error())
				continue
			}
			n.log.Info("reloaded", zap.Duration("took", time.Since(start)))
			n.Ready("reloaded")
		}
	}
}
