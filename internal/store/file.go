package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/release"
)

// MaxFileSize caps a state file; anything larger is refused rather than
// read into memory.
const MaxFileSize = 64 << 20

// FileStore keeps each release in <dir>/<id>.json (SPEC §6), next to
// <id>.json.lock (permanent, flock'ed by writers, holding the current
// holder's line), <id>.json.bak (the previous version) and, while a write is
// in flight, <id>.json.tmp-<hex>. <dir>/.index/<status>/<id> are empty
// markers behind IDsWithStatus. Readers take no lock: files are only ever
// replaced by rename.
type FileStore struct {
	dir  string
	opts Options
}

var _ Store = (*FileStore)(nil)

// NewFileStore returns a store over dir. Nothing is touched until used;
// Create makes dir if needed.
func NewFileStore(dir string, opts Options) *FileStore {
	return &FileStore{dir: dir, opts: opts}
}

// Dir is the folder the store keeps its files in.
func (s *FileStore) Dir() string { return s.dir }

func (s *FileStore) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now()
	}
	return time.Now()
}

func (s *FileStore) path(id string) string       { return filepath.Join(s.dir, id+".json") }
func (s *FileStore) lockPath(id string) string   { return s.path(id) + ".lock" }
func (s *FileStore) backupPath(id string) string { return s.path(id) + ".bak" }

// Load reads release id without locking. The file's bytes are not kept, so
// a large file is decoded straight from the page cache (see withContents).
func (s *FileStore) Load(id string) (*release.Release, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	path := s.path(id)
	var r *release.Release
	var decodeErr error
	if err := withContents(path, func(data []byte) { r, decodeErr = s.decode(path, id, data) }); err != nil {
		return nil, s.readError(id, path, err)
	}
	return r, decodeErr
}

// read returns the bytes and the decoded release of id, for writers (the
// bytes become the backup) and audit.
func (s *FileStore) read(id string) ([]byte, *release.Release, error) {
	path := s.path(id)
	data, err := readStateFile(path)
	if err != nil {
		return nil, nil, s.readError(id, path, err)
	}
	r, err := s.decode(path, id, data)
	return data, r, err
}

// readError is the error for a state file that could not be read: a
// missing file is a usage error, anything else a runtime error.
func (s *FileStore) readError(id, path string, err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return s.notFound(id)
	}
	return errs.Runtimef("read state file %s", path).Wrap(err)
}

// decode decodes the state file of id read from path. An empty or
// unparsable file is a runtime error, never an empty release.
func (s *FileStore) decode(path, id string, data []byte) (*release.Release, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, s.unparsable(path, errors.New("file is empty"))
	}
	r, err := release.Decode(data)
	if err != nil {
		return nil, s.unparsable(path, err)
	}
	if r.Meta.ID != id {
		return nil, s.unparsable(path, fmt.Errorf("it holds release %q", clip(r.Meta.ID, 64)))
	}
	return r, nil
}

var errTooBig = fmt.Errorf("larger than %d MiB", MaxFileSize>>20)

// readStateFile reads the file at path, refusing one over MaxFileSize.
func readStateFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var size int64
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	return readAll(f, size)
}

// readAll reads f, whose size was size when it was opened (0 if unknown).
func readAll(f *os.File, size int64) ([]byte, error) {
	if size > MaxFileSize {
		return nil, errTooBig
	}
	// A buffer of the file's size, as os.ReadFile does: io.ReadAll would
	// start at 512 bytes and copy a large state file a dozen times.
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(f, MaxFileSize+1)); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	if len(data) > MaxFileSize { // grew while being read
		return nil, errTooBig
	}
	return data, nil
}

func (s *FileStore) notFound(id string) error {
	return errs.Usagef("no release %q in %s", id, s.dir).
		WithHint("see the releases with `octorelease list --all`")
}

func (s *FileStore) unparsable(path string, cause error) error {
	e := errs.Runtimef("state file %s does not parse", path).Wrap(cause)
	if _, err := os.Stat(path + ".bak"); err == nil {
		e = e.WithHint("the previous version is kept in %s.bak", path)
	}
	return e
}

// Create writes a new release; it fails with a usage error if the id is
// taken. A zero serial becomes 1.
func (s *FileStore) Create(r *release.Release) error {
	id := r.Meta.ID
	if err := checkID(id); err != nil {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return errs.Runtimef("create state folder %s", s.dir).Wrap(err)
	}
	l, err := s.lock(id)
	if err != nil {
		return err
	}
	defer l.release()
	if _, err := os.Lstat(s.path(id)); err == nil {
		return errs.Usagef("release %s already exists in %s", id, s.dir)
	}
	if r.Serial < 1 {
		r.Serial = 1
	}
	data, err := release.Encode(r)
	if err != nil {
		return errs.Runtimef("encode release %s", id).Wrap(err)
	}
	if err := s.addMarker(r.Status(), id); err != nil {
		return errs.Runtimef("create release %s", id).Wrap(err)
	}
	if err := s.replace(l, id, nil, data); err != nil {
		return errs.Runtimef("create release %s", id).Wrap(err)
	}
	return nil
}

// Update locks release id, loads it, calls fn and writes the result if fn
// succeeded and changed anything, with the serial increased by one. A file
// that does not parse is never overwritten.
func (s *FileStore) Update(id string, fn func(r *release.Release) error) error {
	if err := checkID(id); err != nil {
		return err
	}
	// Do not leave a lock file behind for an id that does not exist.
	if _, err := os.Lstat(s.path(id)); errors.Is(err, os.ErrNotExist) {
		return s.notFound(id)
	}
	l, err := s.lock(id)
	if err != nil {
		return err
	}
	defer l.release()
	old, r, err := s.read(id)
	if err != nil {
		return err
	}
	serial, oldStatus := r.Serial, r.Status()
	// Both sides are encoded with the serial a write carries, so the second
	// encoding is also the bytes written: two encodings per write, not three
	// (each is ~20 ms for a 1,000-item release).
	r.Serial = serial + 1
	before, err := release.Encode(r)
	if err != nil {
		return errs.Runtimef("encode release %s", id).Wrap(err)
	}
	if err := fn(r); err != nil {
		return err
	}
	if r.Meta.ID != id {
		return errs.Runtimef("update of release %s changed its id to %q", id, clip(r.Meta.ID, 64))
	}
	r.Serial = serial + 1
	data, err := release.Encode(r)
	if err != nil {
		return errs.Runtimef("encode release %s", id).Wrap(err)
	}
	if bytes.Equal(before, data) {
		r.Serial = serial
		return nil
	}
	newStatus := r.Status()
	if err := s.addMarker(newStatus, id); err != nil {
		return errs.Runtimef("update release %s", id).Wrap(err)
	}
	if err := s.replace(l, id, old, data); err != nil {
		return errs.Runtimef("update release %s", id).Wrap(err)
	}
	if newStatus != oldStatus {
		s.removeMarker(oldStatus, id)
	}
	return nil
}

// IDs lists every release id in the store, sorted. A missing folder is an
// empty store.
func (s *FileStore) IDs() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, errs.Runtimef("read state folder %s", s.dir).Wrap(err)
	}
	var ids []string
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || e.IsDir() || checkID(id) != nil {
			continue
		}
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}
