//go:build dep_all

package main

// The rest of what octorelease links from SPEC §11 (the test-only modules
// are not in its binary); see main.go.
import (
	_ "github.com/gofrs/flock"
	_ "golang.org/x/mod/semver"
)
