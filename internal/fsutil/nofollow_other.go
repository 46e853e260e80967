//go:build windows || plan9

package fsutil

// Windows has no O_NOFOLLOW; creating a symbolic link there needs a
// privilege that ordinary users lack.
const noFollow = 0
