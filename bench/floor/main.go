// Command floor is the cheapest Go program that does what a CLI must: start,
// write a line to stdout and exit. procbench builds it exactly as it builds
// octorelease and measures every octorelease command against it.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stdout, "hello, world")
}
