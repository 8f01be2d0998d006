//go:build !linux

package msglog

import "os"

// dropCache is a no-op where posix_fadvise is not available.
func dropCache(*os.File, int64) {}
