//go:build testhooks

package postgres

import (
	"os"
	"time"
)

// writeDelay holds a writer inside its transaction, after the release is
// loaded and before the events are sent (and, for Create, before the
// batch), so that kill and disconnect tests land inside writes:
// OCTORELEASE_TEST_PG_WRITE_DELAY=50ms. Only in binaries built with -tags
// testhooks.
func writeDelay() {
	d, err := time.ParseDuration(os.Getenv("OCTORELEASE_TEST_PG_WRITE_DELAY"))
	if err == nil && d > 0 {
		time.Sleep(d)
	}
}
