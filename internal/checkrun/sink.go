package checkrun

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strings"
	"sync"
	"unicode/utf8"
)

// Bounds of CheckResult.OutputTail.
const (
	tailLines = 20
	tailBytes = 4096
)

// sink receives the combined output: it hashes every byte in order and keeps
// only the last tailBytes, so memory stays bounded whatever the output size.
type sink struct {
	mu    sync.Mutex
	h     hash.Hash
	buf   []byte // the last bytes written; len(buf) <= 2*tailBytes
	total int64
	extra string // a message of Run's own, shown in the tail but not hashed
}

// note adds a line of Run's own (why the command could not start) to the
// tail. It is not part of the command's output, so it is not hashed.
func (s *sink) note(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.extra = msg + "\n"
}

func newSink() *sink {
	return &sink{h: sha256.New(), buf: make([]byte, 0, 2*tailBytes)}
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h.Write(p)
	s.total += int64(len(p))
	if len(p) >= tailBytes {
		s.buf = append(s.buf[:0], p[len(p)-tailBytes:]...)
		return len(p), nil
	}
	if len(s.buf)+len(p) > cap(s.buf) {
		// Keep the last tailBytes-len(p) bytes so the result fits.
		keep := tailBytes - len(p)
		if keep > len(s.buf) {
			keep = len(s.buf)
		}
		n := copy(s.buf, s.buf[len(s.buf)-keep:])
		s.buf = s.buf[:n]
	}
	s.buf = append(s.buf, p...)
	return len(p), nil
}

func (s *sink) sum() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return hex.EncodeToString(s.h.Sum(nil))
}

// tail returns the last tailLines lines of the output, at most tailBytes, as
// valid UTF-8. It is a suffix of the output: it starts at a line boundary
// unless a single line is longer than tailBytes.
func (s *sink) tail() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.extra != "" {
		return tailOf(append(s.buf, s.extra...), s.total > int64(len(s.buf)))
	}
	return tailOf(s.buf, s.total > int64(len(s.buf)))
}

func tailOf(b []byte, truncated bool) string {
	if len(b) > tailBytes {
		b, truncated = b[len(b)-tailBytes:], true
	}
	if truncated {
		// b starts mid-line: drop that fragment if a whole line follows.
		if i := bytes.IndexByte(b, '\n'); i >= 0 && i < len(b)-1 {
			b = b[i+1:]
		} else {
			for len(b) > 0 && !utf8.RuneStart(b[0]) {
				b = b[1:]
			}
		}
	}
	// Count lines from the end; a final newline does not start a new line.
	body := bytes.TrimSuffix(b, []byte("\n"))
	for i, n := len(body), 0; i > 0; i-- {
		if body[i-1] == '\n' {
			if n++; n == tailLines {
				b = b[i:]
				break
			}
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
