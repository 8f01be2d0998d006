package tlog

import (
	"crypto"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// MaxCheckpointSize bounds a signed checkpoint read from outside.
const MaxCheckpointSize = 64 << 10

// Errors of checkpoint verification; callers match them with errors.Is.
var (
	ErrCheckpointFormat    = errors.New("tlog: malformed checkpoint")
	ErrCheckpointSignature = errors.New("tlog: checkpoint signature does not verify with the given key")
	ErrCheckpointOrigin    = errors.New("tlog: checkpoint is for another origin")
)

// Checkpoint is a tree head: the origin (log identity), the tree size, its
// root hash and the time it was signed.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   []byte
	Time   time.Time
}

// Text is the checkpoint's note text (c2sp.org/tlog-checkpoint with one
// extension line "time <RFC 3339>").
func (c Checkpoint) Text() string {
	return fmt.Sprintf("%s\n%d\n%s\ntime %s\n", c.Origin, c.Size,
		base64.StdEncoding.EncodeToString(c.Root), c.Time.UTC().Format(time.RFC3339Nano))
}

// Sign returns the signed note of c.
func (c Checkpoint) Sign(origin string, s crypto.Signer) ([]byte, error) {
	ns, err := NewNoteSigner(origin, s)
	if err != nil {
		return nil, err
	}
	out, err := note.Sign(&note.Note{Text: c.Text()}, ns)
	if err != nil {
		return nil, fmt.Errorf("tlog: sign checkpoint: %w", err)
	}
	return out, nil
}

// ParseCheckpoint checks the signed note against pub (the origin is the key
// name) and parses its text. origin, when not empty, must match.
func ParseCheckpoint(signed []byte, origin string, pub crypto.PublicKey) (*Checkpoint, error) {
	if len(signed) > MaxCheckpointSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrCheckpointFormat, len(signed), MaxCheckpointSize)
	}
	name, _, ok := strings.Cut(string(signed), "\n")
	if !ok {
		return nil, fmt.Errorf("%w: no origin line", ErrCheckpointFormat)
	}
	if origin != "" && name != origin {
		return nil, fmt.Errorf("%w: %q, want %q", ErrCheckpointOrigin, name, origin)
	}
	v, err := NewNoteVerifier(name, pub)
	if err != nil {
		return nil, err
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		if errors.As(err, &unverified) || errors.As(err, &invalid) {
			return nil, fmt.Errorf("%w: %v", ErrCheckpointSignature, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrCheckpointFormat, err)
	}
	for _, sig := range n.Sigs {
		if _, err := base64.StdEncoding.Strict().DecodeString(sig.Base64); err != nil {
			return nil, fmt.Errorf("%w: signature of %s is not canonical base64", ErrCheckpointFormat, sig.Name)
		}
	}
	c, err := parseText(n.Text)
	if err != nil {
		return nil, err
	}
	if c.Text() != n.Text {
		return nil, fmt.Errorf("%w: text is not in canonical form", ErrCheckpointFormat)
	}
	return c, nil
}

func parseText(text string) (*Checkpoint, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return nil, fmt.Errorf("%w: %d lines, want at least 3", ErrCheckpointFormat, len(lines))
	}
	c := &Checkpoint{Origin: lines[0]}
	if c.Origin == "" {
		return nil, fmt.Errorf("%w: empty origin", ErrCheckpointFormat)
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || (len(lines[1]) > 1 && lines[1][0] == '0') {
		return nil, fmt.Errorf("%w: tree size %q", ErrCheckpointFormat, lines[1])
	}
	c.Size = size
	if c.Root, err = base64.StdEncoding.Strict().DecodeString(lines[2]); err != nil || len(c.Root) != 32 {
		return nil, fmt.Errorf("%w: root hash %q", ErrCheckpointFormat, lines[2])
	}
	for _, ext := range lines[3:] {
		if v, ok := strings.CutPrefix(ext, "time "); ok {
			if c.Time, err = time.Parse(time.RFC3339Nano, v); err != nil {
				return nil, fmt.Errorf("%w: time %q", ErrCheckpointFormat, v)
			}
		}
	}
	return c, nil
}
