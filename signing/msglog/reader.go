package msglog

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/tunduk-kg/tunduk/signing/msglog/atrest"
)

// Archive describes one archive file found on disk.
type Archive struct {
	Path  string // full path
	Group string // directory name relative to the archive root ("" at the root)
	Name  string // file name
	Size  int64
	// ModTime is the file's modification time (the rotation's commit
	// order for archives written in the same second).
	ModTime time.Time
	// Tombstone is true for a retention tombstone standing in for a
	// removed archive.
	Tombstone bool
}

// ListArchives returns the archives (and tombstones) under root and its
// group directories, sorted by group, then by the record times in their
// names (mlog-<first>-<last>-…), then by modification time, which orders
// archives rotated within the same second as they were committed.
func ListArchives(root string) ([]Archive, error) {
	var out []Archive
	if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) {
		return nil, nil // nothing archived yet
	}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && filepath.Dir(path) != root {
				return filepath.SkipDir
			}
			return nil
		}
		name := d.Name()
		if !strings.HasPrefix(name, "mlog-") {
			return nil
		}
		tomb := strings.HasSuffix(name, TombstoneSuffix)
		if !tomb && !strings.HasSuffix(name, ".zip") && !strings.HasSuffix(name, ".zip"+EncryptedSuffix) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		g, _ := filepath.Rel(root, filepath.Dir(path))
		if g == "." {
			g = ""
		}
		out = append(out, Archive{Path: path, Group: g, Name: name, Size: info.Size(), ModTime: info.ModTime(), Tombstone: tomb})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("msglog: list archives: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		if ta, tb := timesOf(a.Name), timesOf(b.Name); ta != tb {
			return ta < tb
		}
		if !a.ModTime.Equal(b.ModTime) {
			return a.ModTime.Before(b.ModTime)
		}
		return a.Name < b.Name
	})
	return out, nil
}

// timesOf returns the "<first>-<last>" part of an archive name, which
// sorts in time order.
func timesOf(name string) string {
	f := strings.SplitN(name, "-", 4)
	if len(f) < 4 {
		return name
	}
	return f[1] + "-" + f[2]
}

// OpenArchive reads an archive (decrypting it with key when it is
// encrypted) and returns its zip reader.
func OpenArchive(path string, key []byte) (*zip.Reader, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("msglog: %w", err)
	}
	if atrest.IsEncrypted(data) {
		if len(key) == 0 {
			return nil, fmt.Errorf("msglog: %s is encrypted and no key was given", filepath.Base(path))
		}
		data, err = atrest.Decrypt(bytes.NewReader(data), key)
		if err != nil {
			return nil, fmt.Errorf("msglog: %s: %w", filepath.Base(path), err)
		}
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("msglog: %s: %w", filepath.Base(path), err)
	}
	return zr, nil
}

// maxEntry bounds one container entry read from an archive.
const maxEntry = 256 << 20

func readZipFile(f *zip.File) ([]byte, error) {
	if f.UncompressedSize64 > maxEntry {
		return nil, fmt.Errorf("msglog: %s: entry too large", f.Name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, maxEntry))
}

// ReadContainer parses a record container (ASiC-E bytes) into its Record,
// with bodies restored from the attachments.
func ReadContainer(data []byte) (*Record, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("msglog: container: %w", err)
	}
	var msg []byte
	atts := map[string][]byte{}
	for _, f := range zr.File {
		switch {
		case f.Name == "message.xml":
			if msg, err = readZipFile(f); err != nil {
				return nil, err
			}
		case strings.HasPrefix(f.Name, "attachment"):
			b, err := readZipFile(f)
			if err != nil {
				return nil, err
			}
			atts[f.Name] = b
		}
	}
	if msg == nil {
		return nil, fmt.Errorf("msglog: container has no message.xml")
	}
	return UnmarshalRecord(msg, atts)
}

// ReadArchive calls fn for every record container in an archive, in
// archive order, with the entry name, the container bytes and the parsed
// record. Containers that are not tunduk records (a security server's own)
// are passed with a nil record.
func ReadArchive(path string, key []byte, fn func(entry string, container []byte, r *Record) error) error {
	zr, err := OpenArchive(path, key)
	if err != nil {
		return err
	}
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".asice") {
			continue
		}
		data, err := readZipFile(f)
		if err != nil {
			return fmt.Errorf("msglog: %s: %s: %w", filepath.Base(path), f.Name, err)
		}
		r, err := ReadContainer(data)
		if err != nil {
			r = nil
		}
		if err := fn(f.Name, data, r); err != nil {
			return err
		}
	}
	return nil
}
