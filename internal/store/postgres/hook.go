//go:build !testhooks

package postgres

// writeDelay is a test hook; see hook_testhooks.go.
func writeDelay() {}
