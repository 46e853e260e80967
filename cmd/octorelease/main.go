// Command octorelease runs role-tagged release checklists.
package main

import (
	"os"

	"github.com/octorelease/octorelease/internal/app"
)

func main() { os.Exit(app.Main()) }
