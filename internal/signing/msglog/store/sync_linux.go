package store

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// fdatasync flushes a segment's data and size, skipping the mtime update a
// full fsync would also force.
func fdatasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }

// dropCache drops f's bytes [from, to), durable already, from the page
// cache (see Store.dropDurable). Advice only: errors are ignored.
func dropCache(f *os.File, from, to int64) {
	_ = unix.Fadvise(int(f.Fd()), from, to-from, unix.FADV_DONTNEED)
}
