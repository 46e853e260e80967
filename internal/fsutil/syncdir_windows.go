//go:build windows

package fsutil

// SyncDir is a no-op: Windows cannot fsync a directory, and NTFS journals
// renames itself.
func SyncDir(dir string) error { trace("syncdir", dir); return nil }
