// Package testbin builds cmd/octorelease for the tests that run it as a
// separate process (team, trust, reliability, backend and notification
// tests): once per set of build tags, the way release binaries are built
// (CGO_ENABLED=0), into a temp folder removed when the tests end. It also
// runs it (Run, Start) and keeps what a run did (Result), so that those
// tests read exit codes, signals and output one way.
package testbin

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Builds are the binaries one test package built.
type Builds struct {
	dir string
	m   sync.Map // tags → *build
}

type build struct {
	once sync.Once
	path string
	err  error
}

// Main is a TestMain body: it makes the Builds, runs the tests and removes
// the binaries. setup, when not nil, runs first with the Builds; an error
// from it fails the package.
func Main(m *testing.M, name string, setup func(*Builds) error) int {
	dir, err := os.MkdirTemp("", "octorelease-"+name+"-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		return 1
	}
	defer os.RemoveAll(dir)
	b := &Builds{dir: dir}
	if setup != nil {
		if err := setup(b); err != nil {
			fmt.Fprintln(os.Stderr, name+":", err)
			return 1
		}
	}
	return m.Run()
}

// Path builds the binary with tags (comma-separated, "" for none) the first
// time it is asked for, and returns its path.
func (b *Builds) Path(tags string) (string, error) {
	v, _ := b.m.LoadOrStore(tags, &build{})
	bd := v.(*build)
	bd.once.Do(func() {
		name := "octorelease"
		if tags != "" {
			name += "-" + strings.ReplaceAll(tags, ",", "-")
		}
		bd.path = filepath.Join(b.dir, name)
		args := []string{"build", "-o", bd.path}
		if tags != "" {
			args = append(args, "-tags", tags)
		}
		cmd := exec.Command("go", append(args, "github.com/octorelease/octorelease/cmd/octorelease")...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			bd.err = fmt.Errorf("go build %s: %v\n%s", tags, err, out)
		}
	})
	return bd.path, bd.err
}

// Binary is Path for a test: a build that fails fails the test.
func (b *Builds) Binary(t testing.TB, tags string) string {
	t.Helper()
	p, err := b.Path(tags)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ModuleRoot is the folder holding go.mod, found from the working
// directory (a test's package folder) up.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the package folder")
		}
		dir = parent
	}
}
