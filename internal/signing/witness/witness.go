// Package witness is a minimal checkpoint witness after c2sp.org/tlog-witness:
// it keeps the latest checkpoint of each log it is configured for and
// accepts a new one only with a valid signature and a consistency proof
// from the checkpoint it already holds, so a log rewritten after it was
// witnessed (even re-signed with the same key) is refused. Client is the
// log's side, pushing checkpoints.
//
// Endpoints:
//
//	POST /add-checkpoint   body: "old <size>\n", one base64 consistency-proof
//	                       hash per line, an empty line, the signed checkpoint.
//	                       200 accepted; 409 old size is not the witness's
//	                       (body: "<size>\n", text/x.tlog.size); 422 the proof
//	                       does not verify; 403 bad signature; 404 unknown
//	                       origin; 400 malformed.
//	GET  /checkpoint/{origin}  the latest accepted checkpoint.
//
// Non-goals: the witness does not cosign (it has no key of its own yet); a
// portal or auditor reads its stored checkpoint and passes it to
// `tunduk evidence verify --checkpoint` or `archive verify --checkpoint`.
package witness

import (
	"bytes"
	"crypto"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"go.uber.org/zap"

	"github.com/tunduk-kg/tunduk/internal/atomicfile"
	"github.com/tunduk-kg/tunduk/signing/tlog"
)

// maxBody bounds an add-checkpoint request (a proof has at most 64 hashes).
const maxBody = tlog.MaxCheckpointSize + 64*64 + 64

// Options configure a Server.
type Options struct {
	// Dir keeps one file per origin with its latest checkpoint.
	Dir string
	// Logs are the logs witnessed: origin → the log's public key.
	Logs map[string]crypto.PublicKey
	// Logger (default zap.NewNop()).
	Logger *zap.Logger
}

// Server is the witness's HTTP handler.
type Server struct {
	opts   Options
	mu     sync.Mutex
	latest map[string]*held
	mux    *http.ServeMux
}

type held struct {
	signed []byte
	cp     *tlog.Checkpoint
}

// NewServer loads the stored checkpoints.
func NewServer(opts Options) (*Server, error) {
	if opts.Dir == "" || len(opts.Logs) == 0 {
		return nil, errors.New("witness: Options.Dir and at least one log are required")
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	s := &Server{opts: opts, latest: map[string]*held{}, mux: http.NewServeMux()}
	for origin, pub := range opts.Logs {
		b, err := os.ReadFile(s.path(origin))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("witness: %w", err)
		}
		cp, err := tlog.ParseCheckpoint(b, origin, pub)
		if err != nil {
			return nil, fmt.Errorf("witness: stored checkpoint of %s: %w", origin, err)
		}
		s.latest[origin] = &held{signed: b, cp: cp}
	}
	s.mux.HandleFunc("POST /add-checkpoint", s.add)
	s.mux.HandleFunc("GET /checkpoint/{origin...}", s.get)
	return s, nil
}

func (s *Server) path(origin string) string {
	return filepath.Join(s.opts.Dir, hex.EncodeToString([]byte(origin)))
}

// ServeHTTP serves the witness endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	h := s.latest[r.PathValue("origin")]
	s.mu.Unlock()
	if h == nil {
		http.Error(w, "no checkpoint for this origin", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(h.signed)
}

// Request is a parsed add-checkpoint body.
type Request struct {
	OldSize    uint64
	Proof      [][]byte
	Checkpoint []byte
}

// ParseRequest parses an add-checkpoint body.
func ParseRequest(b []byte) (*Request, error) {
	head, cp, ok := bytes.Cut(b, []byte("\n\n"))
	if !ok {
		return nil, errors.New("no empty line before the checkpoint")
	}
	lines := strings.Split(string(head), "\n")
	old, ok := strings.CutPrefix(lines[0], "old ")
	if !ok {
		return nil, errors.New(`first line is not "old <size>"`)
	}
	r := &Request{Checkpoint: cp}
	var err error
	if r.OldSize, err = strconv.ParseUint(old, 10, 64); err != nil {
		return nil, fmt.Errorf("old size %q", old)
	}
	if len(lines)-1 > 64 {
		return nil, fmt.Errorf("%d proof hashes, at most 64", len(lines)-1)
	}
	for _, l := range lines[1:] {
		h, err := base64.StdEncoding.Strict().DecodeString(l)
		if err != nil || len(h) != 32 {
			return nil, fmt.Errorf("proof hash %q", l)
		}
		r.Proof = append(r.Proof, h)
	}
	return r, nil
}

// Encode is the request body.
func (r *Request) Encode() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", r.OldSize)
	for _, h := range r.Proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h) + "\n")
	}
	b.WriteString("\n")
	b.Write(r.Checkpoint)
	return b.Bytes()
}

func (s *Server) add(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		http.Error(w, "request too large or unreadable", http.StatusBadRequest)
		return
	}
	req, err := ParseRequest(body)
	if err != nil {
		http.Error(w, "malformed add-checkpoint request: "+err.Error(), http.StatusBadRequest)
		return
	}
	origin, _, _ := bytes.Cut(req.Checkpoint, []byte("\n"))
	pub, ok := s.opts.Logs[string(origin)]
	if !ok {
		http.Error(w, "unknown log origin", http.StatusNotFound)
		return
	}
	cp, err := tlog.ParseCheckpoint(req.Checkpoint, string(origin), pub)
	if err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, tlog.ErrCheckpointSignature) {
			code = http.StatusForbidden
		}
		http.Error(w, err.Error(), code)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var have uint64
	h := s.latest[cp.Origin]
	if h != nil {
		have = h.cp.Size
	}
	if req.OldSize != have {
		w.Header().Set("Content-Type", "text/x.tlog.size")
		w.WriteHeader(http.StatusConflict)
		fmt.Fprintf(w, "%d\n", have)
		return
	}
	if cp.Size < have {
		http.Error(w, "checkpoint is older than the one held", http.StatusBadRequest)
		return
	}
	if h != nil {
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, have, cp.Size, req.Proof, h.cp.Root, cp.Root); err != nil {
			s.opts.Logger.Warn("witness: refused an inconsistent checkpoint: the log was rewritten or forked",
				zap.String("origin", cp.Origin), zap.Uint64("held", have), zap.Uint64("offered", cp.Size), zap.Error(err))
			http.Error(w, "consistency proof does not verify against the checkpoint held: "+err.Error(), http.StatusUnprocessableEntity)
			return
		}
	}
	if err := atomicfile.WriteFile(s.path(cp.Origin), req.Checkpoint, 0o640); err != nil {
		s.opts.Logger.Error("witness: store checkpoint", zap.Error(err))
		http.Error(w, "could not store the checkpoint", http.StatusInternalServerError)
		return
	}
	s.latest[cp.Origin] = &held{signed: req.Checkpoint, cp: cp}
	w.WriteHeader(http.StatusOK)
}

// ErrConflict is returned by Client.Add when the witness holds another old
// size; Size is what it holds.
type ErrConflict struct{ Size uint64 }

func (e *ErrConflict) Error() string {
	return fmt.Sprintf("witness: holds a checkpoint of size %d", e.Size)
}

// ErrRefused is returned by Client.Add when the witness refuses the
// checkpoint (status and its message).
type ErrRefused struct {
	Status int
	Msg    string
}

func (e *ErrRefused) Error() string { return fmt.Sprintf("witness: refused (%d): %s", e.Status, e.Msg) }

// Client pushes checkpoints to one witness.
type Client struct {
	URL  string
	HTTP *http.Client
}

// Add sends one add-checkpoint request.
func (c *Client) Add(req *Request) error {
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Post(strings.TrimSuffix(c.URL, "/")+"/add-checkpoint", "text/plain", bytes.NewReader(req.Encode()))
	if err != nil {
		return fmt.Errorf("witness: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	switch resp.StatusCode {
	case http.StatusOK:
		return nil
	case http.StatusConflict:
		n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			return &ErrRefused{Status: resp.StatusCode, Msg: "409 without a size"}
		}
		return &ErrConflict{Size: n}
	}
	return &ErrRefused{Status: resp.StatusCode, Msg: strings.TrimSpace(string(b))}
}
