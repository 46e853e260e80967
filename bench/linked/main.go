// Command linked is octorelease that returns before doing anything: all of
// its code is linked and every package init runs, but main does no work.
// procbench times it beside the floor to show what start-up alone costs,
// before any command's own work (docs/performance.md).
package main

import (
	"os"

	"github.com/octorelease/octorelease/internal/app"
)

func main() {
	// Reachable, so the linker keeps all of octorelease; procbench never
	// sets it.
	if os.Getenv("OCTORELEASE_LINKED_RUN") == "1" {
		os.Exit(app.Main())
	}
}
