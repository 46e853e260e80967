package checklist

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/octorelease/octorelease/internal/errs"
)

// resolver builds one checklist from its file and the chain it extends,
// collecting every problem on the way. err is set only for an I/O failure.
type resolver struct {
	loader   *Loader
	lookup   func(name string) (source, bool, error)
	problems []Problem
	err      error
	stack    []string // the extends chain being resolved, outermost first
}

// The resolved checklist keeps, for each phase and item, the file and
// position it came from, so problems found after merging point at the line
// that caused them.
type tree struct {
	name, description string
	file              string
	namePos           position
	phases            []*rPhase
	incomplete        bool // the file or a parent could not be read; don't pile on
}

type rPhase struct {
	id, title string
	file      string
	pos       phasePos
	items     []*rItem
}

type rItem struct {
	Item
	file string
	pos  itemPos
}

func (r *resolver) errorf(file string, p position, format string, a ...any) {
	r.problems = append(r.problems, Problem{File: file, Line: p.line, Col: p.col, Msg: fmt.Sprintf(format, a...)})
}

// resolve returns the checklist, or nil when it could not be read at all.
func (r *resolver) resolve(name string, src source) *Checklist {
	t := r.tree(name, src)
	if t == nil {
		return nil
	}
	r.check(t)
	return t.checklist(src.origin)
}

func (r *resolver) tree(name string, src source) *tree {
	data, err := src.read()
	switch {
	case errors.Is(err, errTooLarge):
		r.problems = append(r.problems, Problem{File: src.label, Msg: err.Error()})
		return nil
	case errors.Is(err, fs.ErrNotExist):
		r.problems = append(r.problems, Problem{File: src.label, Msg: "no such file"})
		return nil
	case err != nil:
		r.err = errs.Runtimef("read %s: %v", src.label, err)
		return nil
	}
	f, problems := parseFile(src.label, data)
	r.problems = append(r.problems, problems...)
	t := &tree{name: name, description: f.Description, file: src.label, namePos: f.pos.name}
	t.incomplete = f.Name == "" && len(problems) > 0
	if f.Extends != "" {
		r.stack = append(r.stack, name)
		parent := r.parent(f)
		r.stack = r.stack[:len(r.stack)-1]
		if parent == nil || parent.incomplete {
			t.incomplete = true
		}
		if parent != nil {
			t.phases = parent.phases
		}
	}
	r.merge(t, f)
	return t
}

// parent resolves the checklist f extends; nil if it cannot be.
func (r *resolver) parent(f *File) *tree {
	if i := slices.Index(r.stack, f.Extends); i >= 0 {
		cycle := append(slices.Clone(r.stack[i:]), f.Extends)
		r.errorf(f.Path, f.pos.extends, "extends cycle: %s", strings.Join(cycle, " → "))
		return nil
	}
	src, ok, err := r.lookup(f.Extends)
	if err != nil {
		r.err = err
		return nil
	}
	if !ok {
		var names []string
		if entries, err := r.loader.List(); err == nil {
			for _, e := range entries {
				names = append(names, e.Name)
			}
		}
		r.errorf(f.Path, f.pos.extends, "extends %q: no such checklist; available: %s", f.Extends, strings.Join(names, ", "))
		return nil
	}
	return r.tree(f.Extends, src)
}

type itemLoc struct {
	phase *rPhase
	index int
}

// merge applies f on top of the inherited phases of t: a phase with an
// inherited id merges into it (f's title wins), an item with an inherited id
// replaces that item in place, anything else is appended.
func (r *resolver) merge(t *tree, f *File) {
	phaseByID := map[string]*rPhase{}
	itemByID := map[string]itemLoc{}
	for _, p := range t.phases {
		phaseByID[p.id] = p
		for i, it := range p.items {
			itemByID[it.ID] = itemLoc{p, i}
		}
	}
	for pi, p := range f.Phases {
		pp := f.pos.phases[pi]
		target := phaseByID[p.ID]
		if target == nil || p.ID == "" {
			if loc, clash := itemByID[p.ID]; clash && p.ID != "" {
				r.errorf(f.Path, pp.id, "phase id %q is already the id of an item of phase %q (from %s); ids must be unique across the checklist", p.ID, loc.phase.id, loc.phase.items[loc.index].file)
			}
			target = &rPhase{id: p.ID, title: p.Title, file: f.Path, pos: pp}
			t.phases = append(t.phases, target)
		} else if p.Title != "" {
			target.title = p.Title
		}
		for ii, it := range p.Items {
			ri := &rItem{Item: it, file: f.Path, pos: pp.items[ii]}
			if loc, ok := itemByID[it.ID]; ok && it.ID != "" {
				delete(itemByID, it.ID) // replaced once; a second copy is a duplicate Parse reports
				if loc.phase != target {
					r.errorf(f.Path, ri.pos.id, "item %q is inherited in phase %q; to replace it, list it under that phase", it.ID, loc.phase.id)
					continue
				}
				loc.phase.items[loc.index] = ri
				continue
			}
			if ph, clash := phaseByID[it.ID]; clash && it.ID != "" {
				r.errorf(f.Path, ri.pos.id, "item id %q is already the id of a phase (from %s); ids must be unique across the checklist", it.ID, ph.file)
				continue
			}
			target.items = append(target.items, ri)
		}
	}
}

// check enforces the rules that need the whole resolved checklist: phases and
// items present, roles known, needs resolvable, in order and acyclic.
func (r *resolver) check(t *tree) {
	if len(t.phases) == 0 && !t.incomplete {
		r.errorf(t.file, orStart(t.namePos), "checklist %q has no phases", t.name)
	}
	known := slices.Sorted(slices.Values(r.loader.knownRoles()))
	phaseOf := map[string]int{}
	isPhase := map[string]bool{}
	var ids []string
	for pi, p := range t.phases {
		isPhase[p.id] = true
		if len(p.items) == 0 {
			r.errorf(p.file, orStart(p.pos.at), "phase %q has no items", p.id)
		}
		for _, it := range p.items {
			if _, dup := phaseOf[it.ID]; !dup && it.ID != "" {
				phaseOf[it.ID] = pi
				ids = append(ids, it.ID)
			}
			for ri, role := range it.Roles {
				if !slices.Contains(known, role) {
					r.errorf(it.file, it.pos.roles[ri], "unknown role %q%s; known roles: %s", role, suggest(role, known), strings.Join(known, ", "))
				}
			}
		}
	}
	graph := map[string][]need{}
	for pi, p := range t.phases {
		for _, it := range p.items {
			for ni, n := range it.Needs {
				at := it.pos.needs[ni]
				np, ok := phaseOf[n]
				switch {
				case !ValidID(n):
					// already reported as an invalid id
				case !ok && isPhase[n]:
					r.errorf(it.file, at, "needs %q: that is a phase, not an item; name the items it needs", n)
				case !ok && t.incomplete:
					// likely in the part that could not be read; already reported
				case !ok:
					r.errorf(it.file, at, "needs %q: no item %q in checklist %q%s", n, n, t.name, suggest(n, ids))
				case np > pi:
					r.errorf(it.file, at, "needs %q: that item is in the later phase %q; an item can only need items of its own or an earlier phase", n, t.phases[np].id)
				default:
					graph[it.ID] = append(graph[it.ID], need{to: n, item: it, index: ni})
				}
			}
		}
	}
	r.cycles(ids, graph)
}

// need is one edge of the needs graph.
type need struct {
	to    string
	item  *rItem
	index int
}

// cycles reports each needs cycle once, at the entry that closes it.
func (r *resolver) cycles(ids []string, graph map[string][]need) {
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(id string)
	visit = func(id string) {
		state[id] = active
		path = append(path, id)
		for _, e := range graph[id] {
			switch state[e.to] {
			case active:
				i := slices.Index(path, e.to)
				cycle := append(slices.Clone(path[i:]), e.to)
				r.errorf(e.item.file, e.item.pos.needs[e.index], "needs cycle: %s", strings.Join(cycle, " → "))
			case unseen:
				visit(e.to)
			}
		}
		path = path[:len(path)-1]
		state[id] = done
	}
	for _, id := range ids {
		if state[id] == unseen {
			visit(id)
		}
	}
}

// checklist is the public form, with nil slices made empty so JSON shows [].
func (t *tree) checklist(origin string) *Checklist {
	cl := &Checklist{Name: t.name, Description: t.description, Source: origin, Phases: make([]Phase, 0, len(t.phases))}
	for _, p := range t.phases {
		ph := Phase{ID: p.id, Title: p.title, Items: make([]Item, 0, len(p.items))}
		for _, it := range p.items {
			item := it.Item
			item.Roles = nonNil(slices.Clone(item.Roles))
			item.Needs = nonNil(slices.Clone(item.Needs))
			if item.Check != nil {
				c := *item.Check
				item.Check = &c
			}
			ph.Items = append(ph.Items, item)
		}
		cl.Phases = append(cl.Phases, ph)
	}
	return cl
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func orStart(p position) position {
	if p.line == 0 {
		return position{1, 1}
	}
	return p
}
