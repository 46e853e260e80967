package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/fsutil"
	"github.com/octorelease/octorelease/internal/legacy"
	"github.com/octorelease/octorelease/internal/migrate"
	"github.com/octorelease/octorelease/internal/release"
)

// FileStore keeps each release in its own folder (SPEC §6):
//
//	<dir>/<id>/release.json        the header, written once
//	<dir>/<id>/events/<name>.json  one immutable file per event
//	<dir>/<id>/.lock               permanent, flock'ed by writers
//
// No file is ever modified or deleted, so git merges two clones' folders
// as a union. A new release is built in a temp folder and renamed into
// place, so a reader never sees half of one; an event file is linked into
// place, never replacing anything. Readers take no lock.
type FileStore struct {
	dir  string
	opts Options
}

var _ Store = (*FileStore)(nil)

const (
	headerFile = "release.json"
	eventsDir  = "events"
	lockFile   = ".lock"
)

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

func (s *FileStore) relDir(id string) string   { return filepath.Join(s.dir, id) }
func (s *FileStore) eventDir(id string) string { return filepath.Join(s.dir, id, eventsDir) }

// Load reads release id and its incident runs without locking.
func (s *FileStore) Load(id string) (*release.Release, error) {
	r, err := s.load(id)
	if err != nil {
		return nil, err
	}
	if r.Meta.Parent == "" {
		if r.Runs, err = s.runs(id); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// runs loads the incident runs of id, <id>-incident-1, -2, ... up to the
// first that does not exist: a probe per run, not a listing of the store.
func (s *FileStore) runs(id string) ([]*release.Release, error) {
	var out []*release.Release
	for n := 1; ; n++ {
		rid := release.IncidentID(id, n)
		if !s.exists1(rid) {
			return out, nil
		}
		r, err := s.load(rid)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
}

func (s *FileStore) load(id string) (*release.Release, error) {
	if _, err := os.Lstat(s.relDir(id)); errors.Is(err, os.ErrNotExist) && checkID(id) == nil {
		if r, err := s.loadFormat1(id); r != nil || err != nil {
			return r, err
		}
	}
	h, events, err := s.read(id)
	if err != nil {
		return nil, err
	}
	r, damage, _, err := s.assemble(id, h, events)
	if err != nil {
		return nil, err
	}
	if len(damage) > 0 {
		return nil, s.damaged(id, damage)
	}
	return r, nil
}

func (s *FileStore) damaged(id string, damage []release.Damage) error {
	return &DamagedError{ID: id, Damage: damage, EventDir: s.eventDir(id)}
}

// read decodes the header and every event file of release id. A file that
// does not parse is a runtime error naming it.
func (s *FileStore) read(id string) (release.Header, []release.StoredEvent, error) {
	var h release.Header
	if err := checkID(id); err != nil {
		return h, nil, err
	}
	if err := s.checkRealDir(s.relDir(id)); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return h, nil, s.notFound(id)
		}
		return h, nil, err
	}
	path := filepath.Join(s.relDir(id), headerFile)
	data, err := readFile(path, release.MaxHeaderSize)
	if err != nil {
		return h, nil, errs.Runtimef("read %s", path).Wrap(err)
	}
	if h, err = release.DecodeHeader(data); err != nil {
		return h, nil, s.unparsable(path, err)
	}
	if h.Meta.ID != id {
		return h, nil, s.unparsable(path, fmt.Errorf("it holds release %q", clip(h.Meta.ID, 64)))
	}
	names, err := s.eventNames(id)
	if err != nil {
		return h, nil, err
	}
	events, err := s.readEvents(id, names)
	return h, events, err
}

// readEvents reads and decodes the named event files of release id. A
// large release is read by a few goroutines: each file is small, and
// reading and decoding a thousand of them one by one is most of a
// command's time. The first error in name order wins, as it would one by
// one.
func (s *FileStore) readEvents(id string, names []string) ([]release.StoredEvent, error) {
	events := make([]release.StoredEvent, len(names))
	errors := make([]error, len(names))
	one := func(i int) {
		p := filepath.Join(s.eventDir(id), names[i])
		data, err := readFile(p, release.MaxEventSize)
		if err != nil {
			errors[i] = errs.Runtimef("read %s", p).Wrap(err)
			return
		}
		e, err := release.DecodeEvent(data)
		if err != nil {
			errors[i] = s.unparsable(p, err)
			return
		}
		events[i] = release.StoredEvent{Name: names[i], Event: e}
	}
	workers := min(runtime.GOMAXPROCS(0), 4, len(names)/64+1)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(names); i += workers {
				one(i)
			}
		}()
	}
	wg.Wait()
	for _, err := range errors {
		if err != nil {
			return nil, err
		}
	}
	return events, nil
}

// relistTries bounds how often a reader lists the events folder again
// when a listing does not assemble.
const relistTries = 5

// assemble is release.Assemble, but while the events do not assemble and
// a new listing of the events folder holds more files, it reads those and
// tries again (see readAgain). It returns the events it assembled.
func (s *FileStore) assemble(id string, h release.Header, events []release.StoredEvent) (*release.Release, []release.Damage, []release.StoredEvent, error) {
	r, damage := release.Assemble(h, events)
	for try := 0; len(damage) > 0 && try < relistTries; try++ {
		more, grew, err := s.readAgain(id, events)
		if err != nil {
			return nil, nil, nil, err
		}
		if !grew {
			break
		}
		events = more
		r, damage = release.Assemble(h, events)
	}
	return r, damage, events, nil
}

// readAgain lists the events folder of release id again and reads the
// event files that events does not hold. A listing taken while a writer
// links new files can hold an event without its parent: readdir returns a
// file added during the listing or not, and ext4 lists in hash order, not
// by age. No event file is ever removed, so every parent of a listed event
// is in any listing begun after that one ended. grew reports new files.
func (s *FileStore) readAgain(id string, events []release.StoredEvent) (_ []release.StoredEvent, grew bool, _ error) {
	names, err := s.eventNames(id)
	if err != nil {
		return nil, false, err
	}
	have := make(map[string]bool, len(events))
	for _, e := range events {
		have[e.Name] = true
	}
	out := events
	for _, name := range names {
		if have[name] {
			continue
		}
		p := filepath.Join(s.eventDir(id), name)
		data, err := readFile(p, release.MaxEventSize)
		if err != nil {
			return nil, false, errs.Runtimef("read %s", p).Wrap(err)
		}
		e, err := release.DecodeEvent(data)
		if err != nil {
			return nil, false, s.unparsable(p, err)
		}
		if !grew {
			out = append([]release.StoredEvent(nil), events...)
			grew = true
		}
		out = append(out, release.StoredEvent{Name: name, Event: e})
	}
	return out, grew, nil
}

// eventNames lists the event files of release id, sorted; temp files of
// writers in flight are not events.
func (s *FileStore) eventNames(id string) ([]string, error) {
	dir := s.eventDir(id)
	if err := s.checkRealDir(dir); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil // Assemble reports the missing start event
		}
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, errs.Runtimef("read %s", dir).Wrap(err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		n := e.Name()
		if strings.Contains(n, fsutil.TempInfix) || !strings.HasSuffix(n, ".json") {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// checkRealDir accepts a folder that is not a symbolic link.
func (s *FileStore) checkRealDir(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return errs.Runtimef("%s is not a folder (a symbolic link or a file where the state keeps a folder)", path)
	}
	return nil
}

// readFile reads a regular file, refusing a symbolic link and anything
// larger than limit.
func readFile(path string, limit int64) ([]byte, error) {
	f, err := fsutil.OpenNoFollow(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%d bytes, over the %d-byte limit", fi.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(data)) > limit {
		err = fmt.Errorf("over the %d-byte limit", limit)
	}
	return data, err
}

func (s *FileStore) notFound(id string) error { return &NotFoundError{ID: id, In: s.dir} }

func (s *FileStore) unparsable(path string, cause error) error {
	return errs.Runtimef("state file %s does not parse", path).Wrap(cause)
}

// Create stores a new release: its header and its pending events, built
// in a temp folder and renamed into place, so the release appears whole or
// not at all. It fails with a usage error if the id is taken.
func (s *FileStore) Create(r *release.Release) error {
	id := r.Meta.ID
	if err := checkID(id); err != nil {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return errs.Runtimef("create state folder %s", s.dir).Wrap(err)
	}
	if err := s.writeGitignore(); err != nil {
		return err
	}
	if _, err := os.Lstat(s.relDir(id)); err == nil {
		return s.exists(id)
	}
	if _, err := os.Lstat(migrate.Path(s.dir, id)); err == nil && r.Migrated == nil {
		return s.exists(id) // in format 1; only its migration may create it
	}
	tmp, err := os.MkdirTemp(s.dir, "."+id+fsutil.TempInfix)
	if err == nil {
		err = os.Chmod(tmp, 0o755) // MkdirTemp makes 0700; the release folder is shared
	}
	if err != nil {
		return errs.Runtimef("create release %s", id).Wrap(err)
	}
	defer os.RemoveAll(tmp) // gone after the rename; the leftovers of a failure otherwise
	header, err := release.EncodeHeader(r.Header)
	if err != nil {
		return errs.Runtimef("encode release %s", id).Wrap(err)
	}
	if len(header) > release.MaxHeaderSize {
		return errs.Runtimef("release %s: the header would be %d bytes, over the %d-byte limit", id, len(header), release.MaxHeaderSize)
	}
	if err := fsutil.CreateNew(filepath.Join(tmp, headerFile), header, 0o644); err != nil {
		return errs.Runtimef("create release %s", id).Wrap(err)
	}
	if err := os.Mkdir(filepath.Join(tmp, eventsDir), 0o755); err != nil {
		return errs.Runtimef("create release %s", id).Wrap(err)
	}
	if err := writeEvents(filepath.Join(tmp, eventsDir), r.Pending()); err != nil {
		return errs.Runtimef("create release %s", id).Wrap(err)
	}
	if err := fsutil.SyncDir(tmp); err != nil {
		return errs.Runtimef("create release %s", id).Wrap(err)
	}
	s.addMarker("open", id, "") // before the folder appears: see index.go
	if err := os.Rename(tmp, s.relDir(id)); err != nil {
		if _, serr := os.Lstat(s.relDir(id)); serr == nil {
			return s.exists(id)
		}
		_ = os.Remove(s.indexPath("open", id)) // a failed command leaves no trace
		return errs.Runtimef("create release %s", id).Wrap(err)
	}
	if err := fsutil.SyncDir(s.dir); err != nil {
		return errs.Runtimef("create release %s", id).Wrap(err)
	}
	r.MarkStored()
	return nil
}

func (s *FileStore) exists(id string) error {
	return errs.Usagef("release %s already exists in %s", id, s.dir)
}

// writeEvents stores events in dir, one new file each, in order: every
// event's parents are stored before it, so a crash leaves a consistent
// prefix. Every event is encoded and checked against the reader's limit
// before the first is written, so a refused one leaves nothing behind.
func writeEvents(dir string, events []release.Event) error {
	files := make([][]byte, len(events))
	for i, e := range events {
		data, err := release.EncodeEvent(e)
		if err != nil {
			return err
		}
		if len(data) > release.MaxEventSize {
			return fmt.Errorf("the %s event would be %d bytes, over the %d-byte limit", e.Kind, len(data), release.MaxEventSize)
		}
		files[i] = data
	}
	for i, e := range events {
		writeDelay()
		if err := fsutil.CreateNew(filepath.Join(dir, e.FileName()), files[i], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Update locks release id, loads it, calls fn and stores the events fn
// recorded. If fn fails nothing is written. A release that does not load
// is never written to.
func (s *FileStore) Update(id string, fn func(r *release.Release) error) error {
	if err := checkID(id); err != nil {
		return err
	}
	if err := s.checkRealDir(s.relDir(id)); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			if _, err := os.Lstat(migrate.Path(s.dir, id)); err == nil {
				return s.needsMigrate(id)
			}
			return s.notFound(id)
		}
		return err
	}
	l, err := s.lock(id)
	if err != nil {
		return err
	}
	defer l.release()
	r, err := s.Load(id)
	if err != nil {
		return err
	}
	pending, err := Apply(id, r, fn)
	if err != nil || len(pending) == 0 {
		return err
	}
	dir := s.eventDir(id)
	if err := s.checkRealDir(dir); err != nil {
		return err
	}
	if err := writeEvents(dir, pending); err != nil {
		return errs.Runtimef("update release %s", id).Wrap(err)
	}
	r.MarkStored()
	if r.OwnStatus() != release.StatusInProgress {
		s.markClosed(id, pending[len(pending)-1].FileName())
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
		name := e.Name()
		if e.IsDir() && checkID(name) == nil {
			ids = append(ids, name)
		} else if id, ok := strings.CutSuffix(name, ".json"); ok && e.Type().IsRegular() && checkID(id) == nil {
			ids = append(ids, id) // format 1, not yet migrated
		}
	}
	sort.Strings(ids)
	return slices.Compact(ids), nil
}

func (s *FileStore) isDir(id string) bool {
	_, err := os.Lstat(s.relDir(id))
	return err == nil
}

// exists1 reports whether release id exists in either format.
func (s *FileStore) exists1(id string) bool {
	if _, err := os.Lstat(s.relDir(id)); err == nil {
		return true
	}
	_, err := os.Lstat(migrate.Path(s.dir, id))
	return err == nil
}

// loadFormat1 reads a release that is still in format 1, for commands
// that only read; nil and no error when there is none.
func (s *FileStore) loadFormat1(id string) (*release.Release, error) {
	path := migrate.Path(s.dir, id)
	if _, err := os.Lstat(path); err != nil {
		return nil, nil
	}
	r, err := migrate.Load(s.dir, id)
	if err != nil {
		return nil, s.unparsable(path, err)
	}
	r.MarkStored()
	r.Format1 = path
	return r, nil
}

func (s *FileStore) needsMigrate(id string) error {
	return &Format1Error{ID: id, Path: migrate.Path(s.dir, id)}
}

// Inspect is for `audit verify`: every problem of release id, not only the
// first, including files that are not in the form this build writes.
func (s *FileStore) Inspect(id string) (*release.Release, []release.Damage, error) {
	if checkID(id) == nil && !s.isDir(id) {
		if data, err := readFile(migrate.Path(s.dir, id), legacy.MaxSize); err == nil {
			r, _ := s.loadFormat1(id)
			var damage []release.Damage
			for _, p := range legacy.VerifyBytes(data) {
				damage = append(damage, release.Damage{File: id + ".json", Problem: p})
			}
			return r, damage, nil
		}
	}
	h, events, err := s.read(id)
	if err != nil {
		return nil, nil, err
	}
	r, more, events, err := s.assemble(id, h, events)
	if err != nil {
		return nil, nil, err
	}
	var damage []release.Damage
	if data, err := readFile(filepath.Join(s.relDir(id), headerFile), release.MaxHeaderSize); err == nil {
		if canon, _ := release.EncodeHeader(h); string(canon) != string(data) {
			damage = append(damage, release.Damage{File: headerFile, Problem: "not in the form octorelease writes (edited by hand?)"})
		}
	}
	for _, se := range events {
		p := filepath.Join(s.eventDir(id), se.Name)
		data, err := readFile(p, release.MaxEventSize)
		if canon, _ := release.EncodeEvent(se.Event); err != nil || string(canon) != string(data) {
			damage = append(damage, release.Damage{File: eventsDir + "/" + se.Name, Problem: "not in the form octorelease writes (edited by hand?)"})
		}
	}
	for _, d := range more {
		if d.File != "" && d.File != headerFile {
			d.File = eventsDir + "/" + d.File
		}
		damage = append(damage, d)
	}
	return r, damage, nil
}

// gitignore keeps what is local to one machine out of git.
const gitignore = `# Written by octorelease: lock and temporary files are local to one machine.
.lock
*.lock
*` + fsutil.TempInfix + `*
.index/
`

// gitattributes keeps release.json readable when two clones created the
// same release before they synced: git then reports a conflict and leaves
// one side's header in place, never conflict markers, and octorelease
// names the other side's events (release.Assemble).
const gitattributes = `# Written by octorelease: see docs/reliability.md.
release.json -merge
`

// StateFiles are the files start and init write into the state folder.
func StateFiles() map[string]string {
	return map[string]string{".gitignore": gitignore, ".gitattributes": gitattributes}
}

// writeGitignore writes the state folder's .gitignore and .gitattributes
// unless they exist: start works without init, and a team's own files are
// kept.
func (s *FileStore) writeGitignore() error {
	for name, content := range StateFiles() {
		path := filepath.Join(s.dir, name)
		err := fsutil.CreateNew(path, []byte(content), 0o644)
		if err != nil && !errors.Is(err, os.ErrExist) {
			return errs.Runtimef("write %s", path).Wrap(err)
		}
	}
	return nil
}
