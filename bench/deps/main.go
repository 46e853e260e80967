// Command deps is the floor program with some of SPEC §11's dependencies
// linked in and nothing used: a build tag per dependency (dep_cobra,
// dep_viper, dep_yaml, dep_lipgloss, dep_huh) or dep_all for every one that
// octorelease itself links. Their package inits run, as in any program that
// imports them. procbench times each build beside the floor, which shows
// what start-up costs before octorelease's own code does anything: a lower
// bound for every command (docs/performance.md).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stdout, "hello, world")
}
