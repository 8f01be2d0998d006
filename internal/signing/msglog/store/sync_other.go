//go:build !linux

package store

import "os"

func fdatasync(f *os.File) error { return f.Sync() }

// dropCache is a no-op where posix_fadvise is not available.
func dropCache(*os.File, int64, int64) {}
