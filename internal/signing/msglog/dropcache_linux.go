package msglog

import (
	"os"

	"golang.org/x/sys/unix"
)

// dropCache asks the kernel to start writing f's bytes [0, end) back and
// to drop from the page cache the ones already on disk (end 0: the whole
// file). An archive is written once and read again only by an audit, so
// its pages would only push useful ones out; dropped, they are reused for
// the next archive's. Advice only: errors are ignored.
func dropCache(f *os.File, end int64) {
	_ = unix.Fadvise(int(f.Fd()), 0, end, unix.FADV_DONTNEED)
}

// dropRange drops f's bytes [from, to) from the page cache where they are
// on disk already.
func dropRange(f *os.File, from, to int64) {
	if to > from {
		_ = unix.Fadvise(int(f.Fd()), from, to-from, unix.FADV_DONTNEED)
	}
}

// startWriteback starts writing f's bytes [off, off+n) back to disk
// without waiting for it.
func startWriteback(f *os.File, off, n int64) {
	_ = unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
