package msglog

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/tunduk-kg/tunduk/internal/atomicfile"
)

// state is what survives between runs besides the journal: where the next
// rotation starts and, per group, what the next archive links to. It is
// replaced atomically (write, fsync, rename, fsync dir); a rotation is
// committed when its state is.
type state struct {
	// ScanFrom is the first journal seq not yet archived.
	ScanFrom uint64 `json:"scanFrom"`
	// Groups maps a group key ("" when not grouping) to its chain head.
	Groups map[string]*groupState `json:"groups"`
	// LastRotate is when the last rotation committed.
	LastRotate time.Time `json:"lastRotate,omitempty"`
	// Renames are archives committed by this state whose .part file may
	// still have to be renamed to its final name (a crash between the
	// state write and the renames).
	Renames []rename `json:"renames,omitempty"`
}

type groupState struct {
	// LastDigest and LastArchive are what the next archive's linkinginfo
	// first line names.
	LastDigest  string `json:"lastDigest"`
	LastArchive string `json:"lastArchive"`
	// LastSeq is the highest record seq archived in this group.
	LastSeq uint64 `json:"lastSeq"`
}

type rename struct {
	Part  string `json:"part"`
	Final string `json:"final"`
}

const stateFile = "state.json"

// partPrefix names the in-progress archive files of the log whose journal
// directory is dir: ".rotating-<8 hex of its path>-".
func partPrefix(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	h := sha256.Sum256([]byte(abs))
	return fmt.Sprintf(".rotating-%x-", h[:4])
}

// loadState reads state.json and finishes or discards an interrupted
// rotation: committed .part files are renamed, others removed.
func loadState(dir, archiveDir string) (*state, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("msglog: %w", err)
	}
	st := &state{ScanFrom: 1, Groups: map[string]*groupState{}}
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("msglog: %w", err)
	default:
		if err := json.Unmarshal(data, st); err != nil {
			return nil, fmt.Errorf("msglog: %s: %w", stateFile, err)
		}
		if st.Groups == nil {
			st.Groups = map[string]*groupState{}
		}
	}
	// Any other .part file of this log is an uncommitted rotation: its
	// records are still in the journal and will be archived again. Parts
	// of other logs sharing the tree (the access log under archiveDir/access)
	// carry another prefix and are left alone.
	if err := finishRenames(st, archiveDir, partPrefix(dir)); err != nil {
		return nil, err
	}
	return st, nil
}

func (st *state) save(dir string) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("msglog: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, stateFile), data, 0o640); err != nil {
		return fmt.Errorf("msglog: %w", err)
	}
	return nil
}
