//go:build !windows && !plan9

package fsutil

import "syscall"

const noFollow = syscall.O_NOFOLLOW
