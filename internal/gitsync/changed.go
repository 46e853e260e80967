package gitsync

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Change kinds reported by Changed.
const (
	Modified = "modified"
	Deleted  = "deleted"
)

// Change is a state file recorded at some revision that the working tree
// no longer has as it was.
type Change struct {
	Path string // repo-relative slash path
	Kind string // Modified or Deleted
	// InState is the path relative to the state folder; its first element
	// is the release the file belongs to.
	InState string
}

// hashBatch bounds the paths given to one git hash-object, well under any
// command-line limit.
const hashBatch = 256

// Changed lists the files under stateDir at rev (a commit or tree) that the
// working tree now holds with other contents, or not at all, for
// `audit verify --since REV`. It compares blob ids, so uncommitted edits
// count as much as committed ones; files added after rev are not changes.
// Contents are hashed by git hash-object, with the same attribute filters
// (end-of-line conversion) as a checkout, so a checkout's CRLF is no edit.
func Changed(ctx context.Context, repoDir, stateDir, rev string) ([]Change, error) {
	g, top, rel, err := repo(ctx, repoDir, stateDir)
	if err != nil {
		return nil, err
	}
	if rev == "" || strings.HasPrefix(rev, "-") {
		return nil, fmt.Errorf("changed: bad revision %q", rev)
	}
	tree, err := g.line(ctx, "rev-parse", "--verify", "-q", rev+"^{tree}")
	if err != nil {
		return nil, fmt.Errorf("changed: unknown revision %q", rev)
	}
	out, err := g.run(ctx, "", "ls-tree", "-r", "-z", tree, "--", literal(rel))
	if err != nil {
		return nil, fmt.Errorf("changed: %w", err)
	}
	var changes []Change
	var paths, want []string // files to hash, and the blob each had at rev
	for _, e := range splitNul(out) {
		// "<mode> SP <type> SP <object> TAB <path>"
		meta, p, ok := strings.Cut(e, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 || f[1] != "blob" {
			continue // submodules and the like are not state files
		}
		mode, blob := f[0], f[2]
		fi, err := os.Lstat(filepath.Join(top, filepath.FromSlash(p)))
		switch {
		case notExist(err):
			changes = append(changes, Change{Path: p, Kind: Deleted})
		case err != nil:
			return nil, fmt.Errorf("changed: %w", err)
		case mode == "120000":
			if fi.Mode()&os.ModeSymlink == 0 {
				changes = append(changes, Change{Path: p, Kind: Modified})
				continue
			}
			target, err := os.Readlink(filepath.Join(top, filepath.FromSlash(p)))
			if err != nil {
				return nil, fmt.Errorf("changed: %w", err)
			}
			// A symlink's blob is its target; --stdin hashes it unfiltered.
			h, err := g.run(ctx, filepath.ToSlash(target), "hash-object", "--stdin")
			if err != nil {
				return nil, fmt.Errorf("changed: %w", err)
			}
			if strings.TrimSpace(h) != blob {
				changes = append(changes, Change{Path: p, Kind: Modified})
			}
		case !fi.Mode().IsRegular():
			changes = append(changes, Change{Path: p, Kind: Modified})
		default:
			paths, want = append(paths, p), append(want, blob)
		}
	}
	for i := 0; i < len(paths); i += hashBatch {
		j := min(i+hashBatch, len(paths))
		out, err := g.run(ctx, "", append([]string{"hash-object", "--"}, paths[i:j]...)...)
		if err != nil {
			return nil, fmt.Errorf("changed: %w", err)
		}
		got := strings.Fields(out)
		if len(got) != j-i {
			return nil, fmt.Errorf("changed: git hash-object gave %d hashes for %d files", len(got), j-i)
		}
		for k, h := range got {
			if h != want[i+k] {
				changes = append(changes, Change{Path: paths[i+k], Kind: Modified})
			}
		}
	}
	for i := range changes {
		changes[i].InState = strings.TrimPrefix(changes[i].Path, rel+"/")
	}
	sort.Slice(changes, func(a, b int) bool { return changes[a].Path < changes[b].Path })
	return changes, nil
}
