package store

import (
	"os"
	"syscall"
)

// fdatasync flushes a segment's data and size, skipping the mtime update a
// full fsync would also force.
func fdatasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
