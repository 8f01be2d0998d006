package tlog

import (
	"bytes"
	"context"
	"crypto"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/transparency-dev/merkle/compact"

	"github.com/tunduk-kg/tunduk/internal/atomicfile"
)

// ErrUnknownRecord is returned for a sequence number no tree holds.
var ErrUnknownRecord = errors.New("tlog: record not in any tree")

// Timestamper obtains an RFC 3161 token over data (internal/signing/tsa's
// Client.TimestampData fits).
type Timestamper func(ctx context.Context, data []byte) ([]byte, error)

// Options configure a Store.
type Options struct {
	// Dir holds one sub-directory per group: leaves (seq and leaf hash per
	// record, appended and fsynced before a checkpoint covers them),
	// checkpoint (the latest signed note) and checkpoint.tsr (its RFC 3161
	// token). The checkpoint files are replaced atomically but not
	// fsynced: everything a checkpoint commits to is durable in leaves, so
	// when a crash loses the latest one (or leaves it empty), Open signs
	// the tree again — a checkpoint of at least the lost one's size and
	// consistent with it, so whoever holds the lost one (a receipt, a
	// witness) can still have it proved.
	Dir string
	// Origin is the log's identity; a group's origin is Origin, or
	// Origin + "/" + group when grouping.
	Origin string
	// Signer signs checkpoints (the message-log key).
	Signer crypto.Signer
	// TSA, when set, time-stamps every checkpoint.
	TSA Timestamper
	// Now is the clock (default time.Now).
	Now func() time.Time
	// OnCheckpoint, when set, is called with each new signed checkpoint
	// (e.g. to push it to witnesses); errors are the caller's to log.
	OnCheckpoint func(group string, signed []byte)
}

// Store keeps the per-group trees and their checkpoints on disk. It is safe
// for concurrent use.
type Store struct {
	opts Options
	// addMu serialises Add; mu guards the maps, the trees and the
	// checkpoints, and is not held across fsyncs, signing or time-stamping,
	// so Prove (a receipt per answered check) never waits for a seal.
	addMu  sync.Mutex
	mu     sync.Mutex
	groups map[string]*group
	names  []string // group names by number (group.id)
	bySeq  seqIndex
}

type group struct {
	id         uint32 // its number in Store.names
	dir        string
	tree       *Tree
	lastSeq    uint64
	leaves     *os.File
	checkpoint []byte // latest signed
	cp         *Checkpoint
	stale      bool // leaves beyond the checkpoint: the next Add signs one
}

// Entry is one record handed to Store.Add.
type Entry struct {
	Group string
	Leaf  Leaf
	// Hash, when 32 bytes, is Leaf.Hash() as the caller computed it
	// already (a promise's leaf hash), so that the seal does not hash
	// the leaf again. The caller vouches for it: the store does not
	// recompute it.
	Hash []byte
}

const leafRecord = 8 + 32

// Open loads every group found under Dir.
func Open(opts Options) (*Store, error) {
	if opts.Dir == "" || opts.Origin == "" || opts.Signer == nil {
		return nil, errors.New("tlog: Options.Dir, Origin and Signer are required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("tlog: %w", err)
	}
	s := &Store{opts: opts, groups: map[string]*group{}}
	ents, err := os.ReadDir(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("tlog: %w", err)
	}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		name, err := hex.DecodeString(e.Name())
		if e.Name() == "_" {
			name, err = nil, nil
		}
		if err != nil {
			continue
		}
		if _, err := s.load(string(name)); err != nil {
			s.Close()
			return nil, err
		}
	}
	for _, name := range s.names {
		if g := s.groups[name]; g.stale {
			// Not published (the caller is still opening); when it fails
			// (a TSA or a key out of reach), the next Add signs it.
			_ = s.checkpoint(context.Background(), name, g, false)
		}
	}
	return s, nil
}

// groupDirName hex-encodes the group (X-Road ids contain slashes).
func groupDirName(g string) string {
	if g == "" {
		return "_"
	}
	return hex.EncodeToString([]byte(g))
}

func (s *Store) load(name string) (*group, error) {
	dir := filepath.Join(s.opts.Dir, groupDirName(name))
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("tlog: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "leaves"), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("tlog: %w", err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("tlog: read leaves: %w", err)
	}
	// A torn last record (crash mid-write) is dropped: it was never
	// covered by a checkpoint, and the record is re-added at the next seal.
	whole := len(b) - len(b)%leafRecord
	if whole != len(b) {
		if err := f.Truncate(int64(whole)); err != nil {
			f.Close()
			return nil, fmt.Errorf("tlog: truncate torn leaf: %w", err)
		}
	}
	if _, err := f.Seek(int64(whole), io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("tlog: %w", err)
	}
	g := &group{id: uint32(len(s.names)), dir: dir, tree: NewTree(), leaves: f}
	for off := 0; off < whole; off += leafRecord {
		seq := binary.BigEndian.Uint64(b[off:])
		if err := g.tree.Append(b[off+8 : off+leafRecord]); err != nil {
			f.Close()
			return nil, err
		}
		s.bySeq.add(seq, g.id, g.tree.Size()-1)
		g.lastSeq = seq
	}
	if err := g.loadCheckpoint(s.Origin(name), s.opts.Signer.Public()); err != nil {
		f.Close()
		return nil, fmt.Errorf("tlog: group %q: %w", name, err)
	}
	s.groups[name] = g
	s.names = append(s.names, name)
	return g, nil
}

// loadCheckpoint reads the group's stored checkpoint, which must match
// its leaves. None, or an empty one (a crash lost it: it is not fsynced),
// or one older than the leaves marks the group stale: a checkpoint is
// signed again, after the leaves are fsynced (a crashed process may have
// left them written and not synced).
func (g *group) loadCheckpoint(origin string, pub crypto.PublicKey) error {
	cp, err := os.ReadFile(filepath.Join(g.dir, "checkpoint"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read checkpoint: %w", err)
	}
	if len(bytes.Trim(cp, "\x00")) > 0 {
		c, err := ParseCheckpoint(cp, origin, pub)
		if err != nil {
			return fmt.Errorf("stored checkpoint: %w", err)
		}
		if c.Size > g.tree.Size() {
			return fmt.Errorf("stored checkpoint covers %d records, the leaves file holds %d: leaves were lost; restore %s from a backup", c.Size, g.tree.Size(), g.dir)
		}
		if root, err := g.tree.Root(c.Size); err != nil || !bytes.Equal(root, c.Root) {
			return fmt.Errorf("stored checkpoint's root is not the leaves' (size %d): the leaves file was changed; restore %s from a backup", c.Size, g.dir)
		}
		g.checkpoint, g.cp = cp, c
	}
	if g.tree.Size() > 0 && (g.cp == nil || g.cp.Size < g.tree.Size()) {
		if err := g.leaves.Sync(); err != nil {
			return fmt.Errorf("fsync leaves: %w", err)
		}
		g.stale = true
	}
	return nil
}

// Origin is the checkpoint origin of group.
func (s *Store) Origin(group string) string {
	if group == "" {
		return s.opts.Origin
	}
	return s.opts.Origin + "/" + group
}

// Add appends the entries' leaves (records already added, by sequence
// number, are skipped, so a seal retried after a crash adds nothing twice),
// fsyncs them and signs a new checkpoint for every group that grew (or
// whose last checkpoint failed: the retried seal signs it).
func (s *Store) Add(ctx context.Context, entries []Entry) error {
	return s.AddAlong(ctx, entries, nil)
}

// AddAlong is Add running alongside (when not nil) concurrently with the
// leaves' write and fsync: the checkpoints are signed only once both
// succeeded. The evidence log fsyncs its statements there, so that what a
// checkpoint covers is durable and the seal waits for one fsync instead of
// two in a row (on ext4 two concurrent fsyncs mostly share one journal
// commit).
func (s *Store) AddAlong(ctx context.Context, entries []Entry, alongside func() error) error {
	var along chan error
	if alongside != nil {
		along = make(chan error, 1)
		go func() { along <- alongside() }()
	}
	s.addMu.Lock()
	defer s.addMu.Unlock()
	s.mu.Lock()
	grew := map[string]*group{}
	var order []string
	// The leaves of each group are written with one write: hashed first,
	// then written, then added to the trees.
	type added struct {
		g    *group
		seq  uint64
		hash []byte
	}
	var adds []added
	bufs := map[*group][]byte{}
	for _, e := range entries {
		g := s.groups[e.Group]
		if g == nil {
			var err error
			if g, err = s.load(e.Group); err != nil {
				s.mu.Unlock()
				return err
			}
		}
		last, seen := g.lastSeq, g.tree.Size() > 0
		if b := bufs[g]; len(b) > 0 {
			last, seen = binary.BigEndian.Uint64(b[len(b)-leafRecord:]), true
		}
		if _, ok := s.bySeq.find(e.Leaf.Seq); ok || (seen && e.Leaf.Seq <= last) {
			continue
		}
		var h []byte
		if len(e.Hash) == hashSize {
			h = bytes.Clone(e.Hash) // the tree's compact range may keep it
		} else {
			h = e.Leaf.Hash()
		}
		bufs[g] = append(binary.BigEndian.AppendUint64(bufs[g], e.Leaf.Seq), h...)
		adds = append(adds, added{g, e.Leaf.Seq, h})
		if grew[e.Group] == nil {
			order = append(order, e.Group)
		}
		grew[e.Group] = g
	}
	for _, name := range s.names { // a checkpoint Open could not sign
		if g := s.groups[name]; g.stale && grew[name] == nil {
			order = append(order, name)
			grew[name] = g
		}
	}
	for _, name := range order {
		if _, err := grew[name].leaves.Write(bufs[grew[name]]); err != nil {
			s.mu.Unlock()
			return fmt.Errorf("tlog: append leaves: %w", err)
		}
	}
	for _, a := range adds {
		if err := a.g.tree.Append(a.hash); err != nil {
			s.mu.Unlock()
			return err
		}
		s.bySeq.add(a.seq, a.g.id, a.g.tree.Size()-1)
		a.g.lastSeq = a.seq
	}
	for _, name := range order {
		// Until its checkpoint is stored: a failure below leaves the
		// leaves added, and the retried seal's Add, which skips them,
		// must still sign it.
		grew[name].stale = true
	}
	s.mu.Unlock()
	var err error
	for _, name := range order {
		if err = grew[name].leaves.Sync(); err != nil {
			err = fmt.Errorf("tlog: fsync leaves: %w", err)
			break
		}
	}
	if along != nil {
		if aerr := <-along; err == nil {
			err = aerr
		}
	}
	if err != nil {
		return err
	}
	for _, name := range order {
		if err := s.checkpoint(ctx, name, grew[name], true); err != nil {
			return err
		}
	}
	return nil
}

// checkpoint signs (and time-stamps) the group's tree as it is now,
// stores it (not fsynced: see Options.Dir) and, when publish is set,
// hands it to OnCheckpoint; only reading the root and publishing take the
// lock. Add's caller holds addMu, so the tree grows only between
// checkpoints.
func (s *Store) checkpoint(ctx context.Context, name string, g *group, publish bool) error {
	s.mu.Lock()
	size := g.tree.Size()
	root, err := g.tree.Root(size)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	c := Checkpoint{Origin: s.Origin(name), Size: size, Root: root, Time: s.opts.Now().UTC()}
	signed, err := c.Sign(c.Origin, s.opts.Signer)
	if err != nil {
		return err
	}
	if s.opts.TSA != nil {
		tok, err := s.opts.TSA(ctx, signed)
		if err != nil {
			return fmt.Errorf("tlog: time-stamp checkpoint: %w", err)
		}
		if err := atomicfile.Replace(filepath.Join(g.dir, "checkpoint.tsr"), tok, 0o640); err != nil {
			return fmt.Errorf("tlog: %w", err)
		}
	}
	if err := atomicfile.Replace(filepath.Join(g.dir, "checkpoint"), signed, 0o640); err != nil {
		return fmt.Errorf("tlog: %w", err)
	}
	s.mu.Lock()
	g.checkpoint, g.cp, g.stale = signed, &c, false
	s.mu.Unlock()
	if publish && s.opts.OnCheckpoint != nil {
		s.opts.OnCheckpoint(name, bytes.Clone(signed))
	}
	return nil
}

// Checkpoint returns the latest signed checkpoint of group (nil before the
// group's first seal).
func (s *Store) Checkpoint(group string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.groups[group]; g != nil {
		return bytes.Clone(g.checkpoint)
	}
	return nil
}

// Inclusion is where a record sits in its tree and the proof to the
// latest checkpoint.
type Inclusion struct {
	Group      string
	Index      uint64
	LeafHash   []byte
	Checkpoint []byte // signed note
	Size       uint64
	Proof      [][]byte
}

// Prove returns the inclusion of the record seq in the group's latest
// checkpoint. ok is false when the record has leaves but no checkpoint yet
// covers it (it is between Add and the checkpoint), or is unknown.
func (s *Store) Prove(seq uint64) (*Inclusion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pos, ok := s.bySeq.find(seq)
	if !ok {
		return nil, fmt.Errorf("%w: seq %d", ErrUnknownRecord, seq)
	}
	name := s.names[pos.group]
	g := s.groups[name]
	if g.cp == nil || pos.index >= g.cp.Size {
		return nil, fmt.Errorf("%w: seq %d has no checkpoint yet", ErrUnknownRecord, seq)
	}
	p, err := g.tree.InclusionProof(pos.index, g.cp.Size)
	if err != nil {
		return nil, err
	}
	leaf, err := g.tree.node(compact.NodeID{Level: 0, Index: pos.index})
	if err != nil {
		return nil, err
	}
	return &Inclusion{Group: name, Index: pos.index, LeafHash: bytes.Clone(leaf),
		Checkpoint: bytes.Clone(g.checkpoint), Size: g.cp.Size, Proof: p}, nil
}

// Consistency proves the group's tree at size2 extends the one at size1.
func (s *Store) Consistency(group string, size1, size2 uint64) ([][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[group]
	if g == nil {
		return nil, fmt.Errorf("tlog: no group %q: %w", group, ErrSize)
	}
	return g.tree.ConsistencyProof(size1, size2)
}

// Close closes the leaf files.
func (s *Store) Close() error {
	s.addMu.Lock()
	defer s.addMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	for _, g := range s.groups {
		if cerr := g.leaves.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
