package notice

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tunduk-kg/tunduk/internal/atomicfile"
)

// Entry is a notice as the journal keeps it: the notice, where it is in
// the signed log (0 when it was not signed) and how delivery went.
type Entry struct {
	Notice     Notice          `json:"notice"`
	SignedSeq  uint64          `json:"signedSeq,omitempty"`
	Deliveries []DeliveryEntry `json:"deliveries,omitempty"`
}

// DeliveryEntry is a Delivery in JSON form.
type DeliveryEntry struct {
	Channel  string `json:"channel"`
	Attempts int    `json:"attempts"`
	Error    string `json:"error,omitempty"`
}

// Entries turns deliveries into their journal form.
func Entries(ds []Delivery) []DeliveryEntry {
	out := make([]DeliveryEntry, len(ds))
	for i, d := range ds {
		out[i] = DeliveryEntry{Channel: d.Channel, Attempts: d.Attempts}
		if d.Err != nil {
			out[i].Error = d.Err.Error()
		}
	}
	return out
}

// Journal is the list of issued notices, JSON lines appended and fsynced,
// for `tunduk notice ls`. The signed log is the evidence; this is the index.
type Journal struct{ Path string }

// MaxLine bounds one journal line when reading.
const MaxLine = 1 << 20

// Append adds an entry durably.
func (j Journal) Append(e Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("notice journal: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(j.Path), 0o750); err != nil {
		return fmt.Errorf("notice journal: %w", err)
	}
	if err := atomicfile.Append(j.Path, 0o640, append(b, '\n')); err != nil {
		return fmt.Errorf("notice journal: %w", err)
	}
	return nil
}

// List returns the entries, oldest first (none when the file is absent).
func (j Journal) List() ([]Entry, error) {
	f, err := os.Open(j.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("notice journal: %w", err)
	}
	defer f.Close()
	var out []Entry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	for line := 1; sc.Scan(); line++ {
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return out, fmt.Errorf("notice journal %s:%d: %w", j.Path, line, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("notice journal %s: %w", j.Path, err)
	}
	return out, nil
}
