//go:build !linux

package msglog

import "os"

// dropCache is a no-op where posix_fadvise is not available.
func dropCache(*os.File, int64) {}

func dropRange(*os.File, int64, int64) {}

func startWriteback(*os.File, int64, int64) {}
