// Package ssapi is a typed client for the X-Road Security Server Management
// REST API (OpenAPI "X-Road Security Server Admin API" 2.1.0, base
// https://SS:4000/api/v1), covering what service registration needs:
// clients, service descriptions (WSDL, OPENAPI3, REST), services, endpoints
// and access rights.
//
// Security by default: the API key is taken from a file or an environment
// variable (LoadAPIKey), never from the command line, and is never logged;
// TLS is required and the server's certificate is pinned by its SHA-256
// fingerprint, because security servers present a self-signed certificate on
// port 4000 that no CA vouches for.
//
// The client honours the API's rate limit (HTTP 429 with Retry-After, else
// exponential backoff) and surfaces warnings_detected answers as a
// *WarningsError; it resends with ignore_warnings=true only when
// Options.AcceptWarnings is set, and then returns the accepted warnings.
//
// Non-goals: key and certificate management, initialisation, backups.
package ssapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Options configure a Client.
type Options struct {
	// BaseURL is the API root, e.g. https://ss.example.kg:4000/api/v1.
	// It must be https.
	BaseURL string
	// APIKey is the management API key (see LoadAPIKey). Required.
	APIKey string
	// PinSHA256 is the SHA-256 fingerprint of the server's TLS certificate
	// (see ParsePin, PinFromPEM). Required: the connection is refused when
	// the server presents any other certificate.
	PinSHA256 []byte
	// AcceptWarnings resends a request with ignore_warnings=true after the
	// server answered warnings_detected. Off by default: warnings are
	// returned as *WarningsError and nothing is changed.
	AcceptWarnings bool
	// MaxRetries bounds resends after HTTP 429 (default 5).
	MaxRetries int
	// BaseBackoff is the first wait after a 429 without Retry-After, doubled
	// each time (default 500ms).
	BaseBackoff time.Duration
	// MaxWait is the longest single wait (default 60s). A Retry-After beyond
	// it ends the call with ErrRateLimited rather than stalling.
	MaxWait time.Duration
	// Timeout bounds each HTTP exchange (default 60s).
	Timeout time.Duration
	// Logger receives one debug line per exchange (method, path, status);
	// never the key. Default zap.NewNop().
	Logger *zap.Logger
	// Sleep waits between retries; tests replace it to observe the waits.
	// Default: a timer that honours ctx.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client talks to one security server's management API. It is safe for
// concurrent use.
type Client struct {
	base  *url.URL
	key   string
	opts  Options
	http  *http.Client
	log   *zap.Logger
	sleep func(ctx context.Context, d time.Duration) error
}

// New checks the options and returns a client.
func New(opts Options) (*Client, error) {
	u, err := url.Parse(opts.BaseURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("ssapi: base URL %q: want https://HOST:4000/api/v1", opts.BaseURL)
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("ssapi: base URL %q: the management API must be reached over https", opts.BaseURL)
	}
	if err := checkKey(opts.APIKey); err != nil {
		return nil, err
	}
	if len(opts.PinSHA256) != sha256.Size {
		return nil, errors.New("ssapi: a pinned SHA-256 fingerprint of the security server's TLS certificate is required")
	}
	if opts.MaxRetries <= 0 {
		opts.MaxRetries = 5
	}
	if opts.BaseBackoff <= 0 {
		opts.BaseBackoff = 500 * time.Millisecond
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = 60 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 60 * time.Second
	}
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	sleep := opts.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	pin := append([]byte(nil), opts.PinSHA256...)
	tr := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		TLSClientConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			// The chain is not checked against CAs (the SS certificate is
			// self-signed); VerifyConnection below accepts exactly the
			// pinned certificate instead, which is stricter.
			InsecureSkipVerify: true, //nolint:gosec // replaced by the pin check
			VerifyConnection: func(cs tls.ConnectionState) error {
				if len(cs.PeerCertificates) == 0 {
					return &PinError{}
				}
				got := sha256.Sum256(cs.PeerCertificates[0].Raw)
				if subtle.ConstantTimeCompare(got[:], pin) != 1 {
					return &PinError{Got: got[:]}
				}
				return nil
			},
		},
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return &Client{
		base:  u,
		key:   opts.APIKey,
		opts:  opts,
		http:  &http.Client{Transport: tr, Timeout: opts.Timeout},
		log:   log,
		sleep: sleep,
	}, nil
}

// PinError reports a server certificate that does not match the pin.
type PinError struct{ Got []byte }

func (e *PinError) Error() string {
	if e.Got == nil {
		return "ssapi: server presented no certificate"
	}
	return "ssapi: server certificate sha256:" + hex.EncodeToString(e.Got) + " does not match the pinned fingerprint"
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ParsePin reads a SHA-256 fingerprint written as hex, with or without
// colons and an optional "sha256:" prefix (as openssl x509 -fingerprint
// -sha256 prints it).
func ParsePin(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "="); i >= 0 { // "SHA256 Fingerprint=AB:CD…"
		s = s[i+1:]
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "sha256:"), "SHA256:")
	s = strings.ReplaceAll(s, ":", "")
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != sha256.Size {
		return nil, errors.New("ssapi: pin: want the 64-hex-digit SHA-256 fingerprint of the certificate")
	}
	return b, nil
}

// PinFromPEM returns the fingerprint of the first certificate in PEM data,
// e.g. the security server's exported TLS certificate
// (GET /system/certificate/export, or /etc/xroad/ssl/proxy-ui-api.crt).
func PinFromPEM(data []byte) ([]byte, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, errors.New("ssapi: pin: no CERTIFICATE block in PEM data")
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return nil, fmt.Errorf("ssapi: pin: %w", err)
		}
		sum := sha256.Sum256(b.Bytes)
		return sum[:], nil
	}
}

// LoadAPIKey reads the management API key from a file (first choice) or an
// environment variable. Keys are deliberately not accepted on the command
// line, where other users could read them from the process list.
func LoadAPIKey(file, envVar string) (string, error) {
	var key string
	switch {
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("ssapi: API key file: %w", err)
		}
		key = strings.TrimSpace(string(b))
	case envVar != "":
		v, ok := os.LookupEnv(envVar)
		if !ok {
			return "", fmt.Errorf("ssapi: API key: environment variable %s is not set", envVar)
		}
		key = strings.TrimSpace(v)
	default:
		return "", errors.New("ssapi: API key: name a key file or an environment variable")
	}
	if err := checkKey(key); err != nil {
		return "", err
	}
	return key, nil
}

func checkKey(k string) error {
	if k == "" {
		return errors.New("ssapi: API key is empty")
	}
	for _, r := range k {
		if r <= 0x20 || r == 0x7f {
			return errors.New("ssapi: API key contains whitespace or control characters")
		}
	}
	return nil
}

// maxBody bounds the responses read into memory.
const maxBody = 16 << 20

// do sends one request, resending after 429, and decodes a 2xx JSON answer
// into out (when non-nil). body is marshalled once so that resends carry
// identical bytes.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	op := method + " " + path
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("ssapi: %s: %w", op, err)
		}
	}
	target := c.base.String() + escapePath(path)
	if q := query.Encode(); q != "" {
		target += "?" + q
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(payload))
		if err != nil {
			return fmt.Errorf("ssapi: %s: %w", op, err)
		}
		req.Header.Set("Authorization", "X-Road-ApiKey token="+c.key)
		req.Header.Set("Accept", "application/json")
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		start := time.Now()
		resp, err := c.http.Do(req)
		if err != nil {
			var pe *PinError
			if errors.As(err, &pe) {
				return pe
			}
			return fmt.Errorf("ssapi: %s: %w", op, err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		c.log.Debug("ssapi exchange", zap.String("method", method), zap.String("path", path),
			zap.Int("status", resp.StatusCode), zap.Int("attempt", attempt), zap.Duration("took", time.Since(start)))
		if err != nil {
			return fmt.Errorf("ssapi: %s: reading answer: %w", op, err)
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			if attempt >= c.opts.MaxRetries {
				return &APIError{Op: op, Status: resp.StatusCode, Info: parseInfo(data, resp.StatusCode)}
			}
			wait, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now())
			if !ok {
				wait = c.opts.BaseBackoff << attempt
			}
			if wait > c.opts.MaxWait {
				return fmt.Errorf("ssapi: %s: server asks to wait %s, more than the %s allowed: %w",
					op, wait, c.opts.MaxWait, &APIError{Op: op, Status: resp.StatusCode, Info: parseInfo(data, resp.StatusCode)})
			}
			c.log.Info("ssapi rate limited; waiting", zap.String("op", op), zap.Duration("wait", wait), zap.Int("attempt", attempt))
			if err := c.sleep(ctx, wait); err != nil {
				return fmt.Errorf("ssapi: %s: %w", op, err)
			}
			continue
		}
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return &APIError{Op: op, Status: resp.StatusCode, Info: parseInfo(data, resp.StatusCode)}
		}
		if out != nil && len(bytes.TrimSpace(data)) > 0 {
			if err := json.Unmarshal(data, out); err != nil {
				return fmt.Errorf("ssapi: %s: decoding answer: %w", op, err)
			}
		}
		return nil
	}
}

// escapePath escapes each segment of an already-joined path; ids contain
// colons, which stay as they are, but never slashes.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

func parseInfo(data []byte, status int) ErrorInfo {
	var info ErrorInfo
	if err := json.Unmarshal(data, &info); err != nil || info.Status == 0 {
		info.Status = status
	}
	return info
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// call is do with the answer decoded into a new T.
func call[T any](c *Client, ctx context.Context, method, path string, body any) (*T, error) {
	var out T
	if err := c.do(ctx, method, path, nil, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// callWarn is doWarn with the answer decoded into a new T.
func callWarn[T any](c *Client, ctx context.Context, method, path string, mk func(ignore bool) any) (*T, []CodeWithDetails, error) {
	var out T
	w, err := c.doWarn(ctx, method, path, mk, &out)
	if err != nil {
		return nil, w, err
	}
	return &out, w, nil
}

// doWarn is do for operations that may answer warnings_detected. body is
// built by mk(ignoreWarnings). It returns the warnings it accepted.
func (c *Client) doWarn(ctx context.Context, method, path string, mk func(ignore bool) any, out any) ([]CodeWithDetails, error) {
	err := c.do(ctx, method, path, nil, mk(false), out)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code() != codeWarningsDetected {
		return nil, err
	}
	we := &WarningsError{Op: method + " " + path, Warnings: ae.Info.Warnings}
	if !c.opts.AcceptWarnings {
		return nil, we
	}
	c.log.Info("ssapi accepting warnings", zap.String("op", we.Op), zap.Int("warnings", len(we.Warnings)))
	if err := c.do(ctx, method, path, nil, mk(true), out); err != nil {
		return we.Warnings, err
	}
	return we.Warnings, nil
}
