package packaging

import (
	"io/fs"
	"syscall"
)

// statOwner returns a file's uid and gid.
func statOwner(fi fs.FileInfo) [2]int {
	st := fi.Sys().(*syscall.Stat_t)
	return [2]int{int(st.Uid), int(st.Gid)}
}
