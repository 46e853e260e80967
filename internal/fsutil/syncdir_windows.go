//go:build windows

package fsutil

// syncDir does nothing: Windows cannot fsync a directory, and NTFS
// journals renames itself.
func syncDir(string) error { return nil }
