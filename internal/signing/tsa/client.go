package tsa

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/digitorus/timestamp"
	"go.uber.org/zap"
)

// Options configure a Client.
type Options struct {
	// URL of the TSA (http or https).
	URL string
	// HTTPClient defaults to a client with a 30 s timeout.
	HTTPClient *http.Client
	// Hash is the imprint algorithm the caller's digests use; default SHA-256.
	Hash crypto.Hash
	// Policy, when set, is requested as reqPolicy.
	Policy asn1.ObjectIdentifier
	// Certificates and Roots are the trust for verifying replies; see
	// VerifyOptions. One of them is required.
	Certificates []*x509.Certificate
	Roots        *x509.CertPool
	// MaxResponseBytes bounds a reply; default 1 MiB.
	MaxResponseBytes int64
	// Logger gets one debug line per stamp and a warning per failure.
	Logger *zap.Logger
}

// Client requests and verifies RFC 3161 time stamps. It is safe for
// concurrent use.
type Client struct {
	opts Options
	log  *zap.Logger
}

// New checks the options and returns a client.
func New(opts Options) (*Client, error) {
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("tsa: URL %q: want http(s)://host/path", opts.URL)
	}
	if len(opts.Certificates) == 0 && opts.Roots == nil {
		return nil, errors.New("tsa: no trusted TSA certificates or roots: replies could not be verified")
	}
	if opts.Hash == 0 {
		opts.Hash = crypto.SHA256
	}
	if !opts.Hash.Available() {
		return nil, fmt.Errorf("tsa: hash %v unavailable", opts.Hash)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = 1 << 20
	}
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	return &Client{opts: opts, log: log.With(zap.String("tsa", u.Redacted()))}, nil
}

// Hash is the algorithm Timestamp expects digests in.
func (c *Client) Hash() crypto.Hash { return c.opts.Hash }

// Timestamp hashes data with c.Hash(), has the TSA stamp it and returns
// the verified TimeStampToken (DER). It fits msglog.Timestamper and
// seal.StampFunc (as the method value c.Timestamp).
func (c *Client) Timestamp(ctx context.Context, data []byte) ([]byte, error) {
	tok, err := c.TimestampData(ctx, data)
	if err != nil {
		return nil, err
	}
	return tok.DER, nil
}

// TimestampDigest asks the TSA to stamp a digest (computed with c.Hash())
// and returns the verified token. The request carries a random nonce and
// asks for the TSA certificate to be included.
func (c *Client) TimestampDigest(ctx context.Context, digest []byte) (*Token, error) {
	if len(digest) != c.opts.Hash.Size() {
		return nil, fmt.Errorf("tsa: digest is %d bytes, %v needs %d", len(digest), c.opts.Hash, c.opts.Hash.Size())
	}
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		return nil, fmt.Errorf("tsa: nonce: %w", err)
	}
	req := timestamp.Request{HashAlgorithm: c.opts.Hash, HashedMessage: digest, Certificates: true, Nonce: nonce, TSAPolicyOID: c.opts.Policy}
	body, err := req.Marshal()
	if err != nil {
		return nil, fmt.Errorf("tsa: encoding request: %w", err)
	}
	start := time.Now()
	resp, err := c.post(ctx, body)
	if err != nil {
		c.log.Warn("time stamp failed", zap.Error(err))
		return nil, err
	}
	tok, err := VerifyResponse(resp, VerifyOptions{Digest: digest, Hash: c.opts.Hash, Certificates: c.opts.Certificates, Roots: c.opts.Roots, Nonce: nonce})
	if err != nil {
		c.log.Warn("time stamp rejected", zap.Error(err))
		return nil, err
	}
	c.log.Debug("time stamp", zap.Time("gen_time", tok.Time), zap.String("serial", tok.SerialNumber.Text(16)),
		zap.Duration("took", time.Since(start)))
	return tok, nil
}

// TimestampData hashes data with c.Hash() and stamps it.
func (c *Client) TimestampData(ctx context.Context, data []byte) (*Token, error) {
	h := c.opts.Hash.New()
	h.Write(data)
	return c.TimestampDigest(ctx, h.Sum(nil))
}

func (c *Client) post(ctx context.Context, body []byte) ([]byte, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.opts.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("tsa: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/timestamp-query")
	hreq.Header.Set("Accept", "application/timestamp-reply")
	hresp, err := c.opts.HTTPClient.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("tsa: %w", err)
	}
	defer hresp.Body.Close()
	if hresp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(hresp.Body, 64<<10))
		return nil, fmt.Errorf("tsa: HTTP %s from TSA", hresp.Status)
	}
	if mt, _, _ := mime.ParseMediaType(hresp.Header.Get("Content-Type")); mt != "application/timestamp-reply" && mt != "application/timestamp-response" {
		return nil, fmt.Errorf("tsa: reply Content-Type %q, want application/timestamp-reply", hresp.Header.Get("Content-Type"))
	}
	data, err := io.ReadAll(io.LimitReader(hresp.Body, c.opts.MaxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("tsa: reading reply: %w", err)
	}
	if int64(len(data)) > c.opts.MaxResponseBytes {
		return nil, fmt.Errorf("tsa: reply larger than %d bytes", c.opts.MaxResponseBytes)
	}
	return data, nil
}
