package checklist

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/octorelease/octorelease/internal/errs"
)

// SourceEmbedded is Checklist.Source and Entry.Source for a built-in checklist.
const SourceEmbedded = "embedded"

// BuiltinRoles returns the role ids usable with no config file (SPEC §2).
func BuiltinRoles() []string {
	return []string{"sre", "qa", "security", "product-manager", "project-manager", "developer"}
}

// Loader finds, resolves and validates checklists: the team's folder first,
// then the embedded defaults.
type Loader struct {
	Embedded fs.FS    // the embedded defaults (checklists.FS), *.yaml at its root
	Dir      string   // the team's checklists folder; may be empty or missing
	Roles    []string // known role ids; nil means BuiltinRoles
}

// Entry is one available checklist.
type Entry struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Source      string `json:"source"`    // "embedded" or the file path
	Overrides   bool   `json:"overrides"` // a team file that replaces an embedded checklist
}

// source is where one checklist's YAML comes from.
type source struct {
	label  string // names the file in problems
	origin string // Checklist.Source: "embedded" or the file path
	read   func() ([]byte, error)
}

// List returns every available checklist, sorted by name. A file that does not
// parse is still listed, with whatever description could be read.
func (l *Loader) List() ([]Entry, error) {
	byName := map[string]Entry{}
	embedded, err := l.embeddedNames()
	if err != nil {
		return nil, err
	}
	for _, name := range embedded {
		src, _ := l.embeddedSource(name)
		byName[name] = Entry{Name: name, Source: SourceEmbedded, Description: describeSource(src)}
	}
	team, err := l.dirFiles()
	if err != nil {
		return nil, err
	}
	for _, file := range team {
		name := checklistName(file)
		_, overrides := byName[name]
		byName[name] = Entry{Name: name, Source: file, Overrides: overrides, Description: describeSource(l.fileSource(file))}
	}
	entries := make([]Entry, 0, len(byName))
	for _, e := range byName {
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return entries, nil
}

func describeSource(src source) string {
	data, err := src.read()
	if err != nil {
		return ""
	}
	f, _ := parseFile(src.label, data)
	return f.Description
}

// Load returns the named checklist with `extends` applied, validated, and
// Source set. An unknown name is a usage error listing the available ones; an
// invalid checklist is a *ValidationError.
func (l *Loader) Load(name string) (*Checklist, error) {
	src, ok, err := l.lookup(name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, l.unknown(name)
	}
	r := &resolver{loader: l, lookup: l.lookup}
	cl := r.resolve(name, src)
	if r.err != nil {
		return nil, r.err
	}
	if err := newValidationError(r.problems); err != nil {
		return nil, err
	}
	return cl, nil
}

func (l *Loader) unknown(name string) error {
	var names []string
	if entries, err := l.List(); err == nil {
		for _, e := range entries {
			names = append(names, e.Name)
		}
	}
	return &UnknownError{Name: name, Available: names}
}

// Validate checks the given files, or with none every *.yaml file of Dir (the
// embedded checklists when Dir holds none). A file's `extends` resolves
// against its own folder first, then Dir, then the embedded checklists. It
// returns a *ValidationError with every problem of every file, or nil.
func (l *Loader) Validate(paths []string) error {
	if len(paths) == 0 {
		files, err := l.dirFiles()
		if err != nil {
			return err
		}
		paths = files
		if len(paths) == 0 {
			return l.validateEmbedded()
		}
	}
	var problems []Problem
	for _, p := range paths {
		name := checklistName(p)
		if !strings.HasSuffix(p, ".yaml") || !ValidID(name) {
			problems = append(problems, Problem{File: p, Msg: fmt.Sprintf(
				"a checklist file must be named <name>.yaml, where name matches %s", IDPattern)})
			continue
		}
		own := l.fileSource(p)
		dir := filepath.Dir(p)
		r := &resolver{loader: l, lookup: func(n string) (source, bool, error) {
			if n == name {
				return own, true, nil
			}
			if sibling := filepath.Join(dir, n+".yaml"); fileExists(sibling) {
				return l.fileSource(sibling), true, nil
			}
			return l.lookup(n)
		}}
		r.resolve(name, own)
		if r.err != nil {
			return r.err
		}
		problems = append(problems, r.problems...)
	}
	return newValidationError(problems)
}

func (l *Loader) validateEmbedded() error {
	names, err := l.embeddedNames()
	if err != nil {
		return err
	}
	var problems []Problem
	for _, name := range names {
		src, _ := l.embeddedSource(name)
		r := &resolver{loader: l, lookup: l.lookup}
		r.resolve(name, src)
		if r.err != nil {
			return r.err
		}
		problems = append(problems, r.problems...)
	}
	return newValidationError(problems)
}

// lookup finds a checklist by name: the team's file, else the embedded one.
func (l *Loader) lookup(name string) (source, bool, error) {
	if !ValidID(name) { // also keeps names like "../x" out of the file system
		return source{}, false, nil
	}
	if l.Dir != "" {
		file := filepath.Join(l.Dir, name+".yaml")
		if fileExists(file) {
			return l.fileSource(file), true, nil
		}
	}
	src, ok := l.embeddedSource(name)
	return src, ok, nil
}

func (l *Loader) embeddedSource(name string) (source, bool) {
	if l.Embedded == nil {
		return source{}, false
	}
	file := name + ".yaml"
	if _, err := fs.Stat(l.Embedded, file); err != nil {
		return source{}, false
	}
	return source{
		label:  path.Join("embedded", file),
		origin: SourceEmbedded,
		read: func() ([]byte, error) {
			f, err := l.Embedded.Open(file)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			return readLimited(f)
		},
	}, true
}

func (l *Loader) fileSource(file string) source {
	return source{label: file, origin: file, read: func() ([]byte, error) {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return readLimited(f)
	}}
}

func (l *Loader) embeddedNames() ([]string, error) {
	if l.Embedded == nil {
		return nil, nil
	}
	files, err := fs.Glob(l.Embedded, "*.yaml")
	if err != nil {
		return nil, errs.Runtimef("list embedded checklists: %v", err)
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = strings.TrimSuffix(f, ".yaml")
	}
	return names, nil
}

// dirFiles returns the paths of the *.yaml files in Dir, sorted; none if Dir
// is unset or missing.
func (l *Loader) dirFiles() ([]string, error) {
	if l.Dir == "" {
		return nil, nil
	}
	entries, err := os.ReadDir(l.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, errs.Runtimef("read checklists folder: %v", err)
	}
	var files []string
	for _, e := range entries {
		if e.Type().IsRegular() || e.Type()&fs.ModeSymlink != 0 {
			if strings.HasSuffix(e.Name(), ".yaml") {
				files = append(files, filepath.Join(l.Dir, e.Name()))
			}
		}
	}
	return files, nil
}

func fileExists(file string) bool {
	st, err := os.Stat(file)
	return err == nil && !st.IsDir()
}

// errTooLarge marks a file over MaxFileSize.
var errTooLarge = fmt.Errorf("file is over the %d-byte (1 MiB) limit for a checklist", MaxFileSize)

// readLimited reads at most MaxFileSize bytes and refuses anything larger
// without reading it all.
func readLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, errTooLarge
	}
	return data, nil
}

func (l *Loader) knownRoles() []string {
	if l.Roles == nil {
		return BuiltinRoles()
	}
	return l.Roles
}
