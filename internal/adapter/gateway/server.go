package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/internal/adapter/observe"
)

// ServerOptions configure Serve.
type ServerOptions struct {
	// Handler is the portal API (a *Gateway).
	Handler http.Handler
	// Listen is the API's host:port ("127.0.0.1:0" picks a port).
	Listen string
	// TLSConfig, when set, serves HTTPS (certificates and client CAs
	// already in it).
	TLSConfig *tls.Config
	// Ops and OpsListen serve /metrics, /healthz and /readyz on a separate
	// listener; leave OpsListen empty when Handler already mounts them.
	Ops       http.Handler
	OpsListen string
	// Ready is told when shutdown starts, so /readyz turns 503 first.
	Ready *observe.Readiness
	// ShutdownTimeout bounds the wait for in-flight checks (default 30 s).
	ShutdownTimeout time.Duration
	// OnListening is called with the bound addresses once listening.
	OnListening func(api, ops net.Addr)
	Logger      *zap.Logger
}

// Serve runs the gateway until ctx ends, then shuts down gracefully: new
// connections are refused, /readyz answers 503, and in-flight checks run
// to completion (their answers are journalled and delivered) within
// ShutdownTimeout.
func Serve(ctx context.Context, o ServerOptions) error {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 30 * time.Second
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	if o.TLSConfig != nil {
		ln = tls.NewListener(ln, o.TLSConfig)
	}
	servers := []*http.Server{newHTTPServer(o.Handler, o.Logger)}
	listeners := []net.Listener{ln}
	var opsAddr net.Addr
	if o.OpsListen != "" && o.Ops != nil {
		oln, err := net.Listen("tcp", o.OpsListen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("gateway: ops listener: %w", err)
		}
		servers = append(servers, newHTTPServer(o.Ops, o.Logger))
		listeners = append(listeners, oln)
		opsAddr = oln.Addr()
	}
	errc := make(chan error, len(servers))
	for i, s := range servers {
		go func() { errc <- s.Serve(listeners[i]) }()
	}
	o.Logger.Info("gateway listening", zap.Stringer("api", ln.Addr()), zap.Bool("tls", o.TLSConfig != nil))
	if o.OnListening != nil {
		o.OnListening(ln.Addr(), opsAddr)
	}
	select {
	case err := <-errc:
		for _, s := range servers {
			s.Close()
		}
		return fmt.Errorf("gateway: %w", err)
	case <-ctx.Done():
	}
	o.Logger.Info("shutting down; finishing in-flight checks", zap.Duration("timeout", o.ShutdownTimeout))
	if o.Ready != nil {
		o.Ready.SetShuttingDown()
	}
	sctx, cancel := context.WithTimeout(context.Background(), o.ShutdownTimeout)
	defer cancel()
	var first error
	for _, s := range servers {
		if err := s.Shutdown(sctx); err != nil && first == nil {
			first = fmt.Errorf("gateway: shutdown: %w", err)
		}
	}
	for range servers {
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) && first == nil {
			first = err
		}
	}
	return first
}

func newHTTPServer(h http.Handler, log *zap.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// A check may wait for the SS's own timeout (up to a minute or
		// two); the write deadline must not cut it off.
		WriteTimeout:   5 * time.Minute,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       zap.NewStdLog(log.Named("http")),
	}
}
