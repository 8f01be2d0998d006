package provider

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"

	"go.uber.org/zap"
)

// GuardOptions say who may call the provider listener: only the
// participant's security server.
type GuardOptions struct {
	// AllowFrom are the addresses (IPs or CIDR prefixes) the security
	// server connects from; empty allows any address.
	AllowFrom []netip.Prefix
	// PinnedCerts are SHA-256 digests of the security server's internal TLS
	// certificate(s) (DER); when set, a request must come over TLS with one
	// of them as its client certificate. The listener's TLS configuration
	// must ask for client certificates (tls.RequireAnyClientCert).
	PinnedCerts [][sha256.Size]byte
	// Logger gets one line per refused request.
	Logger *zap.Logger
}

// Guard wraps the provider listener's handler so that only the security
// server gets through: every other caller gets 403 and a log line with its
// address and the reason (no request content is logged).
func Guard(h http.Handler, o GuardOptions) http.Handler {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if len(o.AllowFrom) == 0 && len(o.PinnedCerts) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if reason := o.refuse(r); reason != "" {
			o.Logger.Warn("provider listener refused a caller that is not the security server",
				zap.String("remote", r.RemoteAddr), zap.String("reason", reason), zap.String("method", r.Method))
			http.Error(w, "403 forbidden: only the security server may call this endpoint", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (o GuardOptions) refuse(r *http.Request) string {
	if len(o.AllowFrom) > 0 {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return "unreadable remote address"
		}
		ip = ip.Unmap()
		ok := false
		for _, p := range o.AllowFrom {
			if p.Contains(ip) {
				ok = true
				break
			}
		}
		if !ok {
			return "address not in provider.allowFrom"
		}
	}
	if len(o.PinnedCerts) > 0 {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			return "no TLS client certificate"
		}
		sum := sha256.Sum256(r.TLS.PeerCertificates[0].Raw)
		for _, p := range o.PinnedCerts {
			if p == sum {
				return ""
			}
		}
		return "client certificate " + hex.EncodeToString(sum[:8]) + "… is not the pinned security-server certificate"
	}
	return ""
}

// ParseAllowFrom reads IPs and CIDR prefixes ("10.0.0.5", "10.0.0.0/24").
func ParseAllowFrom(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("provider: allowFrom %q is neither an IP address nor a CIDR prefix", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// PinCertFile returns the SHA-256 digests of the certificates in a PEM
// file (the security server's internal TLS certificate, exported from its
// UI).
func PinCertFile(path string) ([][sha256.Size]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("provider: pinned certificate: %w", err)
	}
	var out [][sha256.Size]byte
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
			return nil, fmt.Errorf("provider: pinned certificate %s: %w", path, err)
		}
		out = append(out, sha256.Sum256(blk.Bytes))
	}
	if len(out) == 0 {
		return nil, errors.New("provider: pinned certificate " + path + ": no PEM certificate")
	}
	return out, nil
}
