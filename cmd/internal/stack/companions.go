package stack

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/catalog"
	"github.com/tunduk-kg/tunduk/cmd/config"
	"github.com/tunduk-kg/tunduk/internal/adapter/exchange"
	"github.com/tunduk-kg/tunduk/internal/adapter/provider"
	"github.com/tunduk-kg/tunduk/internal/catalog/export"
	"github.com/tunduk-kg/tunduk/soap"
)

// Companions are what `tunduk serve` runs beside the portal gateway: the
// provider endpoint the security server calls, the public catalog
// (/catalog, on the gateway's listener) and the generated service
// descriptions the security server downloads (/descriptions, internal
// only: on the provider's listener, else on the ops listener).
type Companions struct {
	Provider       http.Handler // nil when provider.listen is empty
	ProviderListen string
	ProviderTLS    *tls.Config
	Catalog        http.Handler // public; nil when there is no catalog
	Descriptions   http.Handler // internal; nil when there is no catalog

	pools []*pgxpool.Pool // PostgreSQL backends
}

// CompanionOptions are the sections Companions are built from.
type CompanionOptions struct {
	Provider config.Provider
	Catalog  config.Catalog
	BaseDir  string
	// Recorder records provider exchanges durably (serve passes the signed
	// message log); required when the provider is configured.
	Recorder exchange.Recorder
	Logger   *zap.Logger
}

// BuildCompanions assembles the provider and the catalog handlers.
func BuildCompanions(o CompanionOptions) (*Companions, error) {
	log := o.Logger
	if log == nil {
		log = zap.NewNop()
	}
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(o.BaseDir, p)
	}
	c := &Companions{}
	var cat *catalog.Catalog
	if dir := rel(o.Catalog.Dir); dir != "" {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			var err error
			cat, _, err = catalog.LoadValid(dir)
			if err != nil {
				return nil, fmt.Errorf("catalog %s (run tunduk catalog validate %s): %w", dir, dir, err)
			}
			pub, err := export.Build(cat)
			if err != nil {
				return nil, fmt.Errorf("catalog export: %w", err)
			}
			now := time.Now()
			if c.Catalog, err = export.Handler(pub, export.HandlerOptions{Modified: now}); err != nil {
				return nil, err
			}
			if c.Descriptions, err = export.DescriptionsHandler(cat, export.DescriptionsOptions{Modified: now}); err != nil {
				return nil, err
			}
		} else {
			log.Info("no catalog directory; /catalog and /descriptions are not served", zap.String("dir", dir))
		}
	}
	if o.Provider.Listen == "" {
		return c, nil
	}
	p := o.Provider
	id, err := soap.ParseClientID(p.ID)
	if err != nil {
		return nil, fmt.Errorf("provider.id: %w", err)
	}
	services := make([]provider.Service, len(p.Services))
	for i, s := range p.Services {
		services[i] = provider.Service{Code: s.Code, Version: s.Version, Namespace: s.Namespace, Backend: s.Backend,
			Method: s.Method, Params: s.Params, Required: s.Required, EchoRequest: s.EchoRequest, Timeout: s.Timeout,
			REST: s.REST, SOAPBackend: s.SOAPBackend, StripHeader: s.StripHeader, RenameWrapper: s.RenameWrapper}
		// The catalog's description, when there is one, drives the answer,
		// so it always validates against the WSDL served beside it.
		if cat != nil && cat.Organisation != nil && !s.SOAPBackend && cat.Organisation.ClientID() == (soap.ClientID{Instance: id.Instance, MemberClass: id.MemberClass, MemberCode: id.MemberCode}) {
			for _, d := range cat.ServicesOf(id.SubsystemCode) {
				proto := catalog.SOAP
				if s.REST {
					proto = catalog.REST
				}
				if d.Protocol == proto && d.Code == s.Code && (s.REST || s.Version == "" || d.Version == s.Version) {
					services[i].Description = d
				}
			}
		}
		if pg := s.Postgres; pg != nil {
			dsn, err := os.ReadFile(rel(pg.DSNFile))
			if err != nil {
				c.Close()
				return nil, fmt.Errorf("provider.services[%d].postgres.dsnFile: %w", i, err)
			}
			pool, err := pgxpool.New(context.Background(), strings.TrimSpace(string(dsn)))
			if err != nil { // the DSN is a secret: never in the message
				c.Close()
				return nil, fmt.Errorf("provider.services[%d].postgres.dsnFile %s: not a PostgreSQL connection string", i, pg.DSNFile)
			}
			c.pools = append(c.pools, pool)
			services[i].Postgres = &provider.Postgres{Pool: pool, Query: pg.Query, Args: pg.Args}
		}
		if services[i].Description == nil && !s.SOAPBackend {
			log.Warn("provider service has no catalog description: answers are untyped and no WSDL describes them",
				zap.String("service", s.Code), zap.String("version", s.Version))
		}
	}
	rec := o.Recorder
	if rec == nil {
		c.Close()
		return nil, errors.New("the provider records every exchange in the signed message log: set messageLog (dir, archiveDir, signingKey); see configs/tunduk.yaml")
	}
	h, err := provider.New(provider.Options{Provider: id, Services: services, Recorder: rec, Logger: log.Named("provider")})
	if err != nil {
		c.Close()
		return nil, err
	}
	if c.ProviderTLS, err = serverTLS(p.TLS, rel); err != nil {
		c.Close()
		return nil, fmt.Errorf("provider: %w", err)
	}
	if c.ProviderTLS != nil && c.ProviderTLS.ClientCAs != nil {
		// The security server must present its internal TLS certificate.
		c.ProviderTLS.ClientAuth = tls.RequireAndVerifyClientCert
	}
	guard := provider.GuardOptions{Logger: log.Named("provider")}
	if guard.AllowFrom, err = provider.ParseAllowFrom(p.AllowFrom); err != nil {
		c.Close()
		return nil, err
	}
	if p.SecurityServerCertFile != "" {
		if guard.PinnedCerts, err = provider.PinCertFile(rel(p.SecurityServerCertFile)); err != nil {
			c.Close()
			return nil, err
		}
		if c.ProviderTLS == nil {
			c.Close()
			return nil, errors.New("provider.securityServerCertFile needs provider.tls")
		}
		if c.ProviderTLS.ClientAuth != tls.RequireAndVerifyClientCert {
			c.ProviderTLS.ClientAuth = tls.RequireAnyClientCert // checked against the pin by the guard
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/", h)
	if c.Descriptions != nil {
		mux.Handle("GET /descriptions/", c.Descriptions)
	}
	c.Provider, c.ProviderListen = provider.Guard(mux, guard), p.Listen
	return c, nil
}

// Close closes the PostgreSQL pools.
func (c *Companions) Close() error {
	for _, p := range c.pools {
		p.Close()
	}
	return nil
}

// Public wraps the gateway's handler with the public catalog at /catalog.
func (c *Companions) Public(gw http.Handler) http.Handler {
	if c.Catalog == nil {
		return gw
	}
	mux := http.NewServeMux()
	mux.Handle("GET /catalog", c.Catalog)
	mux.Handle("GET /catalog/", c.Catalog)
	mux.Handle("/", gw)
	return mux
}

// Internal wraps the ops handler with /descriptions when the provider
// listener does not carry them.
func (c *Companions) Internal(ops http.Handler) http.Handler {
	if c.Descriptions == nil || c.Provider != nil {
		return ops
	}
	mux := http.NewServeMux()
	mux.Handle("GET /descriptions/", c.Descriptions)
	mux.Handle("/", ops)
	return mux
}

// ServeProvider runs the provider listener until ctx ends, then lets
// in-flight exchanges finish (each is journalled before it is answered).
func (c *Companions) ServeProvider(ctx context.Context, shutdownTimeout time.Duration, log *zap.Logger, onListening func(net.Addr)) error {
	ln, err := net.Listen("tcp", c.ProviderListen)
	if err != nil {
		return fmt.Errorf("provider: %w", err)
	}
	if c.ProviderTLS != nil {
		ln = tls.NewListener(ln, c.ProviderTLS)
	}
	srv := &http.Server{Handler: c.Provider, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	log.Info("provider listening", zap.String("addr", ln.Addr().String()), zap.Bool("tls", c.ProviderTLS != nil))
	if onListening != nil {
		onListening(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("provider: %w", err)
	case <-ctx.Done():
	}
	if shutdownTimeout <= 0 {
		shutdownTimeout = 30 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("provider shutdown: %w", err)
	}
	return nil
}
