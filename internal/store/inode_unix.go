//go:build !windows && !plan9

package store

import (
	"os"
	"syscall"
)

// inode tells a folder replaced by another of the same time apart.
func inode(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
