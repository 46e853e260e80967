//go:build !testhooks

package store

// writeDelay is a test hook; see hook_testhooks.go.
func writeDelay() {}

const testHooks = false
