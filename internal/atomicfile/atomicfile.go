// Package atomicfile is tunduk's one place for crash-safe file operations:
// replacing a file's content (write a temporary file beside it, fsync,
// rename over, fsync the directory), creating a file that appears whole or
// not at all, and renaming or removing with the directory synced, so a
// power loss leaves either the old state or the new, never half of one;
// and appending a journal line that is on disk when Append returns.
//
// It is internal: the message log, the archive collector, the journal
// store, the catalog export and the key files use it; other programs have
// their own.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile replaces path with data, with permissions perm: after a crash
// path holds either its old content or data, complete.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Write is WriteFile for content produced by write.
func Write(path string, perm fs.FileMode, write func(io.Writer) error) error {
	tmp, err := temp(path, perm, write, true)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("atomicfile: %w", err)
	}
	return SyncDir(filepath.Dir(path))
}

// CreateNew creates path with the content write produces, failing with an
// error matching fs.ErrExist when path exists already (it is never
// overwritten). The file appears complete or not at all.
func CreateNew(path string, perm fs.FileMode, write func(io.Writer) error) error {
	tmp, err := temp(path, perm, write, true)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	// A hard link does not replace an existing file, unlike rename.
	if err := os.Link(tmp, path); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err := os.Remove(tmp); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	return SyncDir(filepath.Dir(path))
}

// Replace replaces path with data for readers at once (they see its old
// content or data, never a mix), but not durably: nothing is fsynced, so
// after a power loss path may hold its old content, data, or nothing
// (empty or zero-filled). For a file its owner rebuilds on open from what
// is durable (tlog's checkpoint, signed again from the fsynced leaves),
// where two fsyncs per write would be wasted.
func Replace(path string, data []byte, perm fs.FileMode) error {
	tmp, err := temp(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}, false)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("atomicfile: %w", err)
	}
	return nil
}

// temp writes a temporary file beside path, synced when durable, and
// returns its name.
func temp(path string, perm fs.FileMode, write func(io.Writer) error, durable bool) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("atomicfile: %w", err)
	}
	werr := finish(f, func(w io.Writer) error {
		if err := f.Chmod(perm); err != nil {
			return err
		}
		return write(w)
	}, durable)
	if werr != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("atomicfile: writing %s: %w", path, werr)
	}
	return f.Name(), nil
}

// finish runs write on f, then fsyncs (when durable) and closes f
// (always); the first error wins.
func finish(f *os.File, write func(io.Writer) error, durable bool) error {
	err := write(f)
	if err == nil && durable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Rename renames oldpath to newpath and syncs the directory of newpath
// (and of oldpath, when it is another), so the rename survives a crash.
func Rename(oldpath, newpath string) error {
	if err := os.Rename(oldpath, newpath); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if od, nd := filepath.Dir(oldpath), filepath.Dir(newpath); od != nd {
		if err := SyncDir(od); err != nil {
			return err
		}
	}
	return SyncDir(filepath.Dir(newpath))
}

// Remove removes path and syncs its directory, so the removal survives a
// crash. A path that does not exist is an error matching fs.ErrNotExist.
func Remove(path string) error {
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	return SyncDir(filepath.Dir(path))
}

// SyncDir fsyncs a directory, making the creation, renaming and removal
// of its entries durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("atomicfile: fsync %s: %w", dir, err)
	}
	return nil
}

// Append adds b at the end of path, creating it with permissions perm,
// and fsyncs it before returning (for a new file, its directory too): a
// journal line that Append accepted survives a crash. A crash during
// Append may leave part of b at the end, which readers must expect.
func Append(path string, perm fs.FileMode, b []byte) error {
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, perm)
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err := finish(f, func(w io.Writer) error { _, err := w.Write(b); return err }, true); err != nil {
		return fmt.Errorf("atomicfile: appending to %s: %w", path, err)
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		return SyncDir(filepath.Dir(path))
	}
	return nil
}
