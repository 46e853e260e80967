package notes

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sync"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/fsutil"
)

// markerPrefix starts the comment Write appends to a notes file; the hash in
// it tells a later Write whether the file was edited by hand since.
const markerPrefix = "<!-- octorelease:sha256="

// marker matches that comment as the last line of a file; what precedes it
// is the body it vouches for.
//
// Compiled on first use: every command links this package, few need it.
var marker = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?:^|\n)<!-- octorelease:sha256=([0-9a-f]{64}) -->\n?$`)
})

// Write writes content to path with a trailing marker comment holding the
// SHA-256 of the content. It refuses (a usage error) to replace a file that
// was edited since octorelease wrote it: one whose body no longer matches its
// marker, or that has no marker, unless force. The write is atomic (a
// temporary file in the same folder, then rename) and creates parent folders.
func Write(path string, content []byte, force bool) error {
	if !force {
		edited, err := Edited(path)
		if err != nil {
			return err
		}
		if edited {
			return errs.Usagef("%s was edited since octorelease wrote it; use --force to overwrite", path)
		}
	}
	return writeAtomic(path, Stamp(content))
}

// Stamp returns content, ending in a newline, followed by its marker line.
func Stamp(content []byte) []byte {
	body := content
	if len(body) > 0 && body[len(body)-1] != '\n' {
		body = append(append([]byte{}, body...), '\n')
	}
	sum := sha256.Sum256(body)
	out := append([]byte{}, body...)
	return fmt.Appendf(out, "%s%s -->\n", markerPrefix, hex.EncodeToString(sum[:]))
}

// Edited reports whether the file at path was changed since Write wrote it:
// false when it does not exist or its body matches its marker; true when the
// body differs or the marker is gone.
func Edited(path string) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, errs.Runtimef("read %s", path).Wrap(err)
	}
	loc := marker().FindSubmatchIndex(data)
	if loc == nil {
		return true, nil
	}
	bodyEnd := loc[0]
	if data[bodyEnd] == '\n' {
		bodyEnd++ // the newline ends the body's last line
	}
	sum := sha256.Sum256(data[:bodyEnd])
	return !bytes.Equal([]byte(hex.EncodeToString(sum[:])), data[loc[2]:loc[3]]), nil
}

// writeAtomic creates the folder and replaces path through fsutil.WriteAtomic.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errs.Runtimef("create %s", dir).Wrap(err)
	}
	if err := fsutil.WriteAtomic(path, data, 0o644); err != nil {
		return errs.Runtimef("write %s", path).Wrap(err)
	}
	return nil
}
