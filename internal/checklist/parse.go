package checklist

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize is the largest checklist file octorelease reads (1 MiB).
const MaxFileSize = 1 << 20

// IDPattern is the shape of checklist names, of phase and item ids and of
// role ids (SPEC §3). ValidID checks it.
const IDPattern = `^[a-z0-9][a-z0-9-]{0,63}$`

// ValidID reports whether s matches IDPattern. It is written out rather than
// compiled from the pattern: a package-level regexp.MustCompile of it would
// run at every start-up, the bounded repeat expanding into a 64-state
// program.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// The keys each mapping accepts, in the order a message lists them.
var (
	fileKeys  = []string{"name", "description", "extends", "phases"}
	phaseKeys = []string{"id", "title", "items"}
	itemKeys  = []string{"id", "title", "roles", "optional", "needs", "help", "check", "reset_on_retarget", "approvals", "evidence"}
	checkKeys = []string{"run", "timeout"}
)

// File is one checklist file as written, before `extends` is applied.
type File struct {
	Path        string // as given to Parse; problems name it
	Name        string
	Description string
	Extends     string
	Phases      []Phase

	pos filePos // where each part was written, for problems found after parsing
}

type position struct{ line, col int }

func at(n *yaml.Node) position { return position{n.Line, n.Column} }

type filePos struct {
	name, extends position
	phases        []phasePos // parallel to File.Phases
}

type phasePos struct {
	at, id position
	items  []itemPos // parallel to Phase.Items
}

type itemPos struct {
	at, id       position
	roles, needs []position // parallel to Item.Roles and Item.Needs
}

// Parse reads one checklist file strictly. name is the file's path (or just
// its name); the checklist's `name` must equal its base name without ".yaml".
// Parse checks everything a single file can show: syntax, keys, types,
// required fields, id shapes and duplicates. Roles, `needs` and `extends` are
// checked by a Loader, which sees the other files. The returned File is never
// nil; on error it holds what could be read, and the error is a
// *ValidationError listing every problem.
func Parse(name string, data []byte) (*File, error) {
	f, problems := parseFile(name, data)
	return f, newValidationError(problems)
}

func parseFile(name string, data []byte) (*File, []Problem) {
	f := &File{Path: name}
	w := &walker{file: name}
	if len(data) > MaxFileSize {
		w.problems = append(w.problems, Problem{File: name,
			Msg: fmt.Sprintf("file is %d bytes, over the %d-byte (1 MiB) limit for a checklist", len(data), MaxFileSize)})
		return f, w.problems
	}
	if !w.printable(data) {
		return f, w.problems
	}
	root, ok := w.decode(data)
	if !ok {
		return f, w.problems
	}
	w.walkFile(root, f)
	w.uniqueIDs(f)
	if want := checklistName(name); f.Name != "" && want != "" && f.Name != want {
		w.errorf(f.pos.name, "name %q does not match the file name %q; a checklist's name is its file name without .yaml", f.Name, path.Base(name))
	}
	return f, w.problems
}

// checklistName is the name a checklist file must declare: its base name
// without ".yaml".
func checklistName(file string) string {
	return strings.TrimSuffix(path.Base(strings.ReplaceAll(file, `\`, "/")), ".yaml")
}

type walker struct {
	file     string
	problems []Problem
}

func (w *walker) errorf(p position, format string, a ...any) {
	w.problems = append(w.problems, Problem{File: w.file, Line: p.line, Col: p.col, Msg: fmt.Sprintf(format, a...)})
}

// printable refuses what YAML forbids (invalid UTF-8, control characters such
// as NUL) with an exact position, which the YAML library does not give.
func (w *walker) printable(data []byte) bool {
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			w.errorf(position{line, col}, "invalid UTF-8 byte 0x%02x; checklist files must be UTF-8 text", data[i])
			return false
		case !yamlPrintable(r) && !(r == '\uFEFF' && i == 0):
			w.errorf(position{line, col}, "control character %U is not allowed in YAML", r)
			return false
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return true
}

// yamlPrintable is YAML 1.2's c-printable set.
func yamlPrintable(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r' || r == 0x85:
		return true
	case r >= 0x20 && r <= 0x7E:
		return true
	case r >= 0xA0 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// yamlErrLine is compiled on first use, not at start-up: only a file that
// does not parse needs it.
var yamlErrLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })

// decode reads exactly one YAML document into a node tree. The tree keeps
// aliases as references, so nothing is expanded here; the walk refuses them.
func (w *walker) decode(data []byte) (root *yaml.Node, ok bool) {
	defer func() {
		// The YAML library must not take the program down on hostile input.
		if r := recover(); r != nil {
			w.problems = append(w.problems, Problem{File: w.file, Msg: fmt.Sprintf("cannot parse YAML: %v", r)})
			root, ok = nil, false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			w.errorf(position{1, 1}, "file is empty; a checklist needs at least name and phases")
		} else {
			w.yamlError(err)
		}
		return nil, false
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		w.errorf(position{extra.Line, extra.Column}, "a checklist file holds one YAML document; remove this second one")
		return nil, false
	} else if !errors.Is(err, io.EOF) {
		w.yamlError(err)
		return nil, false
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0], true
	}
	w.errorf(position{1, 1}, "file is empty; a checklist needs at least name and phases")
	return nil, false
}

// yamlError turns "yaml: line 3: msg" into a positioned problem. The library
// reports lines only, so the column is 1.
func (w *walker) yamlError(err error) {
	msg := err.Error()
	if m := yamlErrLine().FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		w.errorf(position{line, 1}, "invalid YAML: %s", m[2])
		return
	}
	w.errorf(position{1, 1}, "invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

// usable reports anchors and aliases, and says whether n may be read. Refusing
// aliases means no alias bomb can ever expand.
func (w *walker) usable(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode {
		w.errorf(at(n), "aliases are not supported (*%s); write the value out in full", n.Value)
		return false
	}
	if n.Anchor != "" {
		w.errorf(at(n), "anchors are not supported (&%s) because aliases are not supported; write values out in full", n.Anchor)
	}
	return true
}

// fields walks the mapping n that describes a `what`, reporting a wrong kind,
// duplicate, unknown and missing keys; it returns the value node of each
// usable known key.
func (w *walker) fields(n *yaml.Node, what string, known, required []string) map[string]*yaml.Node {
	if !w.usable(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		w.errorf(at(n), "%s must be a mapping with keys %s; got %s", what, strings.Join(known, ", "), describe(n))
		return nil
	}
	vals := map[string]*yaml.Node{}
	seen := map[string]position{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !w.usable(k) {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			w.errorf(at(k), "%s keys must be plain words; got %s", what, describe(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			w.errorf(at(k), "merge keys (<<) are not supported; write the keys out in full")
			continue
		}
		key := k.Value
		if first, dup := seen[key]; dup {
			w.errorf(at(k), "duplicate key %q in %s (first at line %d:%d)", key, what, first.line, first.col)
			continue
		}
		seen[key] = at(k)
		if !slices.Contains(known, key) {
			w.errorf(at(k), "unknown key %s in %s%s; expected one of: %s", quote(key), what, suggest(key, known), strings.Join(known, ", "))
			continue
		}
		if w.usable(v) {
			vals[key] = v
		}
	}
	for _, key := range required {
		if _, ok := seen[key]; !ok {
			w.errorf(at(n), "%s is missing required key %q", what, key)
		}
	}
	return vals
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

func (w *walker) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		hint := ""
		if n.Kind == yaml.ScalarNode && !isNull(n) {
			hint = fmt.Sprintf(` (quote it: "%s")`, truncate(n.Value))
		}
		w.errorf(at(n), "%s must be a string; got %s%s", what, describe(n), hint)
		return "", false
	}
	return n.Value, true
}

// text is a string that must not be blank.
func (w *walker) text(n *yaml.Node, what string) string {
	s, ok := w.str(n, what)
	if ok && strings.TrimSpace(s) == "" {
		w.errorf(at(n), "%s must not be empty", what)
	}
	return s
}

func (w *walker) id(n *yaml.Node, what string) string {
	s, ok := w.str(n, what)
	if ok && !ValidID(s) {
		hint := ""
		if sug := slug(s); sug != "" && sug != s {
			hint = fmt.Sprintf(", e.g. %q", sug)
		}
		w.errorf(at(n), "invalid %s %s: use lower-case letters, digits and '-', starting with a letter or digit, at most 64 characters%s", what, quote(s), hint)
	}
	return s
}

// list reads a list of strings, each checked by elem.
func (w *walker) list(n *yaml.Node, what string, elem func(*yaml.Node) string) ([]string, []position) {
	if n.Kind != yaml.SequenceNode {
		hint := ""
		if n.Kind == yaml.ScalarNode && n.Value != "" && !isNull(n) {
			hint = fmt.Sprintf("; write %s: [%s]", what, truncate(n.Value))
		}
		w.errorf(at(n), "%s must be a list; got %s%s", what, describe(n), hint)
		return nil, nil
	}
	var vals []string
	var pos []position
	seen := map[string]bool{}
	for _, c := range n.Content {
		if !w.usable(c) {
			continue
		}
		s := elem(c)
		if s == "" {
			continue
		}
		if seen[s] {
			w.errorf(at(c), "%s lists %s twice", what, quote(s))
			continue
		}
		seen[s] = true
		vals = append(vals, s)
		pos = append(pos, at(c))
	}
	return vals, pos
}

func (w *walker) walkFile(n *yaml.Node, f *File) {
	m := w.fields(n, "checklist", fileKeys, []string{"name", "phases"})
	if v := m["name"]; v != nil {
		f.Name, f.pos.name = w.id(v, "checklist name"), at(v)
	}
	if v := m["description"]; v != nil && !isNull(v) {
		f.Description, _ = w.str(v, "description")
	}
	if v := m["extends"]; v != nil && !isNull(v) {
		f.Extends, f.pos.extends = w.id(v, "extends"), at(v)
	}
	v := m["phases"]
	if v == nil {
		return
	}
	if v.Kind != yaml.SequenceNode {
		w.errorf(at(v), "phases must be a list of phases; got %s", describe(v))
		return
	}
	if len(v.Content) == 0 && f.Extends == "" {
		w.errorf(at(v), "phases must not be empty (only a checklist that extends another may add none)")
	}
	for _, pn := range v.Content {
		if p, pp, ok := w.phase(pn); ok {
			f.Phases = append(f.Phases, p)
			f.pos.phases = append(f.pos.phases, pp)
		}
	}
}

func (w *walker) phase(n *yaml.Node) (Phase, phasePos, bool) {
	var p Phase
	pp := phasePos{at: at(n)}
	m := w.fields(n, "phase", phaseKeys, []string{"id", "title"})
	if m == nil {
		return p, pp, false
	}
	if v := m["id"]; v != nil {
		p.ID, pp.id = w.id(v, "phase id"), at(v)
	}
	if v := m["title"]; v != nil {
		p.Title = w.text(v, "phase title")
	}
	v := m["items"]
	if v == nil || isNull(v) {
		return p, pp, true
	}
	if v.Kind != yaml.SequenceNode {
		w.errorf(at(v), "items must be a list of items; got %s", describe(v))
		return p, pp, true
	}
	for _, in := range v.Content {
		if it, ip, ok := w.item(in); ok {
			p.Items = append(p.Items, it)
			pp.items = append(pp.items, ip)
		}
	}
	return p, pp, true
}

func (w *walker) item(n *yaml.Node) (Item, itemPos, bool) {
	var it Item
	ip := itemPos{at: at(n)}
	m := w.fields(n, "item", itemKeys, []string{"id", "title", "roles"})
	if m == nil {
		return it, ip, false
	}
	if v := m["id"]; v != nil {
		it.ID, ip.id = w.id(v, "item id"), at(v)
	}
	if v := m["title"]; v != nil {
		it.Title = w.text(v, "item title")
	}
	if v := m["roles"]; v != nil {
		it.Roles, ip.roles = w.list(v, "roles", func(c *yaml.Node) string { return w.text(c, "a role") })
		if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
			w.errorf(at(v), "roles must name at least one role")
		}
	}
	if v := m["optional"]; v != nil && !isNull(v) {
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" {
			w.errorf(at(v), "optional must be true or false; got %s", describe(v))
		} else {
			it.Optional, _ = strconv.ParseBool(v.Value)
		}
	}
	if v := m["needs"]; v != nil && !isNull(v) {
		it.Needs, ip.needs = w.list(v, "needs", func(c *yaml.Node) string { return w.id(c, "needs entry") })
	}
	if v := m["help"]; v != nil && !isNull(v) {
		it.Help, _ = w.str(v, "help")
	}
	if v := m["check"]; v != nil && !isNull(v) {
		it.Check = w.check(v)
	}
	if v := m["reset_on_retarget"]; v != nil && !isNull(v) {
		it.ResetOnRetarget = w.boolean(v, "reset_on_retarget")
	}
	if v := m["evidence"]; v != nil && !isNull(v) {
		if s, ok := w.str(v, "evidence"); ok {
			switch s {
			case EvidenceRequired, EvidenceOptional:
				it.Evidence = s
			default:
				w.errorf(at(v), "evidence must be %q or %q; got %q", EvidenceRequired, EvidenceOptional, s)
			}
		}
	}
	if v := m["approvals"]; v != nil && !isNull(v) {
		it.Approvals = w.approvals(v, it.Roles)
	}
	return it, ip, true
}

func (w *walker) boolean(v *yaml.Node, what string) bool {
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" {
		w.errorf(at(v), "%s must be true or false; got %s", what, describe(v))
		return false
	}
	b, _ := strconv.ParseBool(v.Value)
	return b
}

// approvals reads {role: N}: how many distinct people must sign the role.
func (w *walker) approvals(n *yaml.Node, roles []string) map[string]int {
	if n.Kind != yaml.MappingNode {
		w.errorf(at(n), "approvals must map a role to a number of signers, like {qa: 2}; got %s", describe(n))
		return nil
	}
	out := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		role := k.Value
		if !slices.Contains(roles, role) {
			w.errorf(at(k), "approvals names role %q, which is not one of the item's roles (%s)", role, strings.Join(roles, ", "))
			continue
		}
		num, err := strconv.Atoi(v.Value)
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" || err != nil || num < 1 || num > 100 {
			w.errorf(at(v), "approvals for %s must be a whole number from 1 to 100; got %s", role, describe(v))
			continue
		}
		out[role] = num
	}
	return out
}

func (w *walker) check(n *yaml.Node) *Check {
	m := w.fields(n, "check", checkKeys, []string{"run"})
	if m == nil {
		return nil
	}
	c := &Check{}
	if v := m["run"]; v != nil {
		c.Run = w.text(v, "check run")
	}
	if v := m["timeout"]; v != nil && !isNull(v) {
		s, ok := w.str(v, `check timeout (a Go duration like "10m")`)
		if !ok {
			return c
		}
		d, err := ParseDuration(s)
		switch {
		case err != nil:
			w.errorf(at(v), "check timeout: %v", err)
		case d <= 0:
			w.errorf(at(v), "check timeout must be positive, like \"10m\"; got %q", s)
		default:
			c.Timeout = d
		}
	}
	return c
}

// uniqueIDs reports a phase or item id used twice in the file: ids share one
// namespace across the whole checklist.
func (w *walker) uniqueIDs(f *File) {
	seen := map[string]position{}
	claim := func(id string, p position) {
		if id == "" {
			return
		}
		if first, dup := seen[id]; dup {
			w.errorf(p, "duplicate id %q (first used at line %d:%d); phase and item ids must be unique across the checklist", id, first.line, first.col)
			return
		}
		seen[id] = p
	}
	for pi, ph := range f.Phases {
		claim(ph.ID, f.pos.phases[pi].id)
		for ii, it := range ph.Items {
			claim(it.ID, f.pos.phases[pi].items[ii].id)
		}
	}
}

// describe names what a node holds, for "got ..." in messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		switch t := n.ShortTag(); t {
		case "!!str":
			return "the string " + quote(n.Value)
		case "!!int":
			return "the number " + truncate(n.Value)
		case "!!float":
			return "the number " + truncate(n.Value)
		case "!!bool":
			return "the boolean " + truncate(n.Value)
		case "!!null":
			return "an empty value"
		default:
			return fmt.Sprintf("a value tagged %s", quote(t))
		}
	}
	return "nothing usable"
}

func truncate(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}

func quote(s string) string { return strconv.Quote(truncate(s)) }

// slug suggests an id for s: lower-case, runs of other characters become '-'.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
		if b.Len() >= 64 {
			break
		}
	}
	out := b.String()
	if len(out) > 64 {
		out = out[:64]
	}
	return strings.TrimRight(out, "-")
}

// Suggest returns ` (did you mean "x"?)` for a near miss of s among
// candidates, else "": for every "unknown item, role, phase, release".
func Suggest(s string, candidates []string) string { return suggest(s, candidates) }

// suggest returns ` (did you mean "x"?)` for a near miss among candidates.
func suggest(s string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		// A typo keeps the first letter; this avoids "qa" suggesting "dba".
		if s == "" || c == "" || s[0] != c[0] {
			continue
		}
		if d := editDistance(s, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" || len(s) > 100 {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	if len(a) > 100 || len(b) > 100 {
		return 100 // not a typo; keep the cost bounded
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
