// Command floor is the cheapest Go program that does what a CLI must: start,
// write a line to stdout and exit. procbench builds it exactly as it builds
// octorelease and measures every octorelease command against it.
//
// Built with a dep_* tag (dep_cobra, dep_yaml, dep_lipgloss, dep_viper,
// dep_huh, or dep_all for every SPEC §11 module octorelease links), it also
// links those dependencies without using them: their package inits run, as
// in any program that imports them. procbench times these builds too, which
// shows what start-up costs before octorelease's own code does anything, a
// lower bound for every command (docs/performance.md).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stdout, "hello, world")
}
