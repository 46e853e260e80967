//go:build testhooks

package store

import (
	"os"
	"time"
)

// writeDelay widens the window between writing the temp file and renaming
// it, so kill tests land inside it: OCTORELEASE_TEST_WRITE_DELAY=50ms.
// Only in binaries built with -tags testhooks.
func writeDelay() {
	d, err := time.ParseDuration(os.Getenv("OCTORELEASE_TEST_WRITE_DELAY"))
	if err == nil && d > 0 {
		time.Sleep(d)
	}
}

const testHooks = true
