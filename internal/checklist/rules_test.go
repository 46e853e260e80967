package checklist

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"
)

// ruleBase is a valid checklist the rule cases extend.
const ruleBase = `name: base
phases:
  - id: one
    title: One
    items:
      - id: a
        title: A
        roles: [qa]
  - id: two
    title: Two
    items:
      - id: b
        title: B
        roles: [sre]
        needs: [a]
`

// positionOf returns the 1-based line and column (in characters) of the nth
// (1-based) occurrence of needle in src.
func positionOf(t *testing.T, src, needle string, nth int) (int, int) {
	t.Helper()
	off := 0
	for i := 0; i < nth; i++ {
		j := strings.Index(src[off:], needle)
		if j < 0 {
			t.Fatalf("marker %q (occurrence %d) not in test input", needle, nth)
		}
		off += j
		if i < nth-1 {
			off += len(needle)
		}
	}
	before := src[:off]
	line := strings.Count(before, "\n") + 1
	col := utf8.RuneCountInString(before[strings.LastIndex(before, "\n")+1:]) + 1
	return line, col
}

func problemsOf(t *testing.T, err error) []Problem {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a *ValidationError, got %T: %v", err, err)
	}
	return ve.Problems
}

// TestRules gives every rule of SPEC §3 a case and checks the problem names
// the right file, line and column and says what is wrong.
func TestRules(t *testing.T) {
	tests := []struct {
		name string
		src  string // the file t.yaml (or file)
		file string // default "t"
		at   string // the problem is at the first occurrence of this text...
		nth  int    // ...or at its nth occurrence
		skip int    // plus this many columns
		load string // the checklist to load; default the file
		msg  string // and its message contains this
	}{
		// keys
		{name: "unknown top-level key", src: "name: t\ndescripton: x\nphases: []\nextends: base\n",
			at: "descripton", msg: `unknown key "descripton" in checklist (did you mean "description"?); expected one of: name, description, extends, phases`},
		{name: "unknown item key", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - id: c\n        title: C\n        roles: [qa]\n        rolez: [qa]\n",
			at: "rolez", msg: `unknown key "rolez" in item (did you mean "roles"?); expected one of: id, title, roles, optional, needs, help, check`},
		{name: "unknown phase key", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    steps: []\n",
			at: "steps", msg: `unknown key "steps" in phase; expected one of: id, title, items`},
		{name: "unknown check key", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - id: c\n        title: C\n        roles: [qa]\n        check: {run: x, retries: 3}\n",
			at: "retries", msg: `unknown key "retries" in check; expected one of: run, timeout`},
		{name: "duplicate mapping key", src: "name: t\nextends: base\nphases: []\nname: t\n",
			at: "name", nth: 2, msg: `duplicate key "name" in checklist (first at line 1:1)`},
		{name: "merge key", src: "name: t\nextends: base\n<<: {phases: []}\nphases: []\n",
			at: "<<", msg: "merge keys (<<) are not supported"},

		// required fields
		{name: "missing name", src: "extends: base\nphases: []\n",
			at: "extends", msg: `checklist is missing required key "name"`},
		{name: "missing phases", src: "name: t\n",
			at: "name", msg: `checklist is missing required key "phases"`},
		{name: "empty phases without extends", src: "name: t\nphases: []\n",
			at: "[]", msg: "phases must not be empty"},
		{name: "missing phase title", src: "name: t\nextends: base\nphases:\n  - id: three\n    items: [{id: c, title: C, roles: [qa]}]\n",
			at: "id: three", msg: `phase is missing required key "title"`},
		{name: "missing item id", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - title: C\n        roles: [qa]\n",
			at: "title: C", msg: `item is missing required key "id"`},
		{name: "missing item roles", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - id: c\n        title: C\n",
			at: "id: c", msg: `item is missing required key "roles"`},
		{name: "empty roles", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - id: c\n        title: C\n        roles: []\n",
			at: "[]", msg: "roles must name at least one role"},
		{name: "empty title", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - id: c\n        title: \"  \"\n        roles: [qa]\n",
			at: `"  "`, msg: "item title must not be empty"},
		{name: "phase without items", src: "name: t\nextends: base\nphases:\n  - id: three\n    title: Three\n",
			at: "id: three", msg: `phase "three" has no items`},

		// ids
		{name: "invalid item id", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - id: Deploy_Now\n        title: C\n        roles: [qa]\n",
			at: "Deploy_Now", msg: `invalid item id "Deploy_Now": use lower-case letters, digits and '-'`},
		{name: "invalid phase id", src: "name: t\nextends: base\nphases:\n  - id: -three\n    title: Three\n    items: [{id: c, title: C, roles: [qa]}]\n",
			at: "-three", msg: `invalid phase id "-three"`},
		{name: "id too long", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items: [{id: " + strings.Repeat("x", 65) + ", title: C, roles: [qa]}]\n",
			at: strings.Repeat("x", 65), msg: "at most 64 characters"},
		{name: "invalid checklist name", src: "name: T\nextends: base\nphases: []\n",
			at: "T", msg: `invalid checklist name "T"`},
		{name: "name does not match file", src: "name: other\nextends: base\nphases: []\n",
			at: "other", msg: `name "other" does not match the file name "t.yaml"`},
		{name: "duplicate item id in file", src: "name: t\nextends: base\nphases:\n  - id: three\n    title: Three\n    items:\n      - {id: c, title: C, roles: [qa]}\n      - {id: c, title: D, roles: [qa]}\n",
			at: "c,", nth: 2, msg: `duplicate id "c" (first used at line 7:14)`},
		{name: "item id equals phase id in file", src: "name: t\nextends: base\nphases:\n  - id: three\n    title: Three\n    items:\n      - {id: three, title: C, roles: [qa]}\n",
			at: "three,", msg: `duplicate id "three"`},
		{name: "item id equals inherited phase id", src: "name: t\nextends: base\nphases:\n  - id: three\n    title: Three\n    items:\n      - {id: two, title: C, roles: [qa]}\n",
			at: "two", msg: `item id "two" is already the id of a phase`},
		{name: "phase id equals inherited item id", src: "name: t\nextends: base\nphases:\n  - id: a\n    title: Three\n    items:\n      - {id: c, title: C, roles: [qa]}\n",
			at: "a\n", msg: `phase id "a" is already the id of an item of phase "one"`},
		{name: "override in another phase", src: "name: t\nextends: base\nphases:\n  - id: two\n    title: Two\n    items:\n      - {id: a, title: A2, roles: [qa]}\n",
			at: "a,", msg: `item "a" is inherited in phase "one"; to replace it, list it under that phase`},

		// roles
		{name: "unknown role", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - {id: c, title: C, roles: [qa, wizzard]}\n",
			at: "wizzard", msg: `unknown role "wizzard"; known roles: developer, product-manager, project-manager, qa, security, sre`},
		{name: "role typo suggests", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - {id: c, title: C, roles: [sr]}\n",
			at: "sr]", msg: `unknown role "sr" (did you mean "sre"?)`},
		{name: "role listed twice", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - {id: c, title: C, roles: [qa, qa]}\n",
			at: "qa]", msg: `roles lists "qa" twice`},

		// needs
		{name: "needs unknown item", src: "name: t\nextends: base\nphases:\n  - id: two\n    title: Two\n    items:\n      - {id: c, title: C, roles: [qa], needs: [bb]}\n",
			at: "bb", msg: `needs "bb": no item "bb" in checklist "t" (did you mean "b"?)`},
		{name: "needs later phase", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - {id: c, title: C, roles: [qa], needs: [b]}\n",
			at: "b]", msg: `needs "b": that item is in the later phase "two"`},
		{name: "needs a phase", src: "name: t\nextends: base\nphases:\n  - id: two\n    title: Two\n    items:\n      - {id: c, title: C, roles: [qa], needs: [one]}\n",
			at: "one]", msg: `needs "one": that is a phase, not an item`},
		{name: "needs itself", src: "name: t\nextends: base\nphases:\n  - id: two\n    title: Two\n    items:\n      - {id: c, title: C, roles: [qa], needs: [c]}\n",
			at: "c]", msg: "needs cycle: c → c"},
		{name: "needs cycle", src: "name: t\nextends: base\nphases:\n  - id: two\n    title: Two\n    items:\n      - {id: c, title: C, roles: [qa], needs: [d]}\n      - {id: d, title: D, roles: [qa], needs: [e]}\n      - {id: e, title: E, roles: [qa], needs: [c]}\n",
			at: "c]", msg: "needs cycle: c → d → e → c"},
		{name: "needs cycle through an inherited item", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - {id: a, title: A, roles: [qa], needs: [c]}\n      - {id: c, title: C, roles: [qa], needs: [a]}\n",
			at: "[a]", skip: 1, msg: "needs cycle: a → c → a"},
		{name: "needs listed twice", src: "name: t\nextends: base\nphases:\n  - id: two\n    title: Two\n    items:\n      - {id: c, title: C, roles: [qa], needs: [a, a]}\n",
			at: "a, a]", skip: 3, msg: `needs lists "a" twice`},

		// extends
		{name: "extends unknown", src: "name: t\nextends: bsae\nphases: []\n",
			at: "bsae", msg: `extends "bsae": no such checklist; available: base, t`},
		{name: "extends itself", src: "name: t\nextends: t\nphases: []\n",
			at: "t\n", nth: 2, msg: "extends cycle: t → t"},
		{name: "extends cycle", src: "name: t\nextends: u\nphases: []\n", load: "u",
			at: "u", msg: "extends cycle: u → t → u"},

		// types
		{name: "roles as a string", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - id: c\n        title: C\n        roles: qa\n",
			at: "qa", msg: `roles must be a list; got the string "qa"; write roles: [qa]`},
		{name: "optional not a boolean", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - {id: c, title: C, roles: [qa], optional: yes}\n",
			at: "yes", msg: `optional must be true or false; got the string "yes"`},
		{name: "title a number", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - {id: c, title: 42, roles: [qa]}\n",
			at: "42", msg: `item title must be a string; got the number 42 (quote it: "42")`},
		{name: "phases a mapping", src: "name: t\nphases: {id: one}\n",
			at: "{", msg: "phases must be a list of phases; got a mapping"},
		{name: "items a string", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items: none\n",
			at: "none", msg: `items must be a list of items; got the string "none"`},
		{name: "item a list", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - [c]\n",
			at: "[c]", msg: "item must be a mapping with keys id, title, roles, optional, needs, help, check, reset_on_retarget, approvals, evidence; got a list"},
		{name: "help a mapping", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - {id: c, title: C, roles: [qa], help: {a: b}}\n",
			at: "{a", msg: "help must be a string; got a mapping"},
		{name: "check a string", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - {id: c, title: C, roles: [qa], check: ./verify.sh}\n",
			at: "./verify", msg: "check must be a mapping with keys run, timeout"},

		// check
		{name: "check without run", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - {id: c, title: C, roles: [qa], check: {timeout: 1m}}\n",
			at: "{timeout", msg: `check is missing required key "run"`},
		{name: "check run empty", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - {id: c, title: C, roles: [qa], check: {run: \"\"}}\n",
			at: `""`, msg: "check run must not be empty"},
		{name: "check timeout not a duration", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - {id: c, title: C, roles: [qa], check: {run: x, timeout: 10 minutes}}\n",
			at: "10 minutes", msg: `invalid duration "10 minutes": want a Go duration like "10m"`},
		{name: "check timeout a number", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - {id: c, title: C, roles: [qa], check: {run: x, timeout: 10}}\n",
			at: "10}", msg: `check timeout (a Go duration like "10m") must be a string; got the number 10`},
		{name: "check timeout negative", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - {id: c, title: C, roles: [qa], check: {run: x, timeout: -5m}}\n",
			at: "-5m", msg: `check timeout must be positive, like "10m"; got "-5m"`},
		{name: "check timeout zero", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - {id: c, title: C, roles: [qa], check: {run: x, timeout: 0s}}\n",
			at: "0s", msg: "check timeout must be positive"},

		// YAML itself
		{name: "alias", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - {id: c, title: C, roles: &r [qa]}\n      - {id: d, title: D, roles: *r}\n",
			at: "*r", msg: "aliases are not supported (*r)"},
		{name: "anchor", src: "name: t\nextends: base\nphases:\n  - id: one\n    title: One\n    items:\n      - {id: c, title: C, roles: &r [qa]}\n",
			at: "&r", msg: "anchors are not supported (&r)"},
		{name: "syntax error", src: "name: t\n  bad: x\nphases: []\n",
			at: "  bad", msg: "invalid YAML: mapping values are not allowed in this context"},
		{name: "two documents", src: "name: t\nextends: base\nphases: []\n---\nname: t\n",
			at: "---", msg: "a checklist file holds one YAML document"},
		{name: "empty file", src: "# nothing\n",
			at: "#", msg: "file is empty"},
		{name: "not a mapping", src: "- name: t\n",
			at: "- ", msg: "checklist must be a mapping with keys name, description, extends, phases; got a list"},
		{name: "invalid UTF-8", src: "name: t\nextends: base\nphases: []\ndescription: caf\xe9\n",
			at: "\xe9", msg: "invalid UTF-8 byte 0xe9"},
		{name: "NUL byte", src: "name: t\nextends: base\nphases: []\ndescription: a\x00b\n",
			at: "\x00", msg: "control character U+0000 is not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := tt.file
			if file == "" {
				file = "t"
			}
			fsys := fstest.MapFS{
				"base.yaml":    {Data: []byte(ruleBase)},
				file + ".yaml": {Data: []byte(tt.src)},
				"u.yaml":       {Data: []byte("name: u\nextends: t\nphases: []\n")},
			}
			if tt.name != "extends cycle" {
				delete(fsys, "u.yaml")
			}
			l := &Loader{Embedded: fsys}
			load := file
			if tt.load != "" {
				load = tt.load
			}
			_, err := l.Load(load)
			nth := max(tt.nth, 1)
			line, col := positionOf(t, tt.src, tt.at, nth)
			want := fmt.Sprintf("embedded/%s.yaml:%d:%d: ", file, line, col+tt.skip)
			for _, p := range problemsOf(t, err) {
				if strings.HasPrefix(p.String(), want) && strings.Contains(p.Msg, tt.msg) {
					return
				}
			}
			t.Errorf("want a problem %q...%q; got:\n%v", want, tt.msg, err)
		})
	}
}

// TestAllProblemsReported checks that one file with many mistakes gets all of
// them, in file order, not just the first.
func TestAllProblemsReported(t *testing.T) {
	src := `name: t
extends: base
colour: blue
phases:
  - id: one
    title: One
    items:
      - id: Bad
        title: C
        roles: [wizzard]
      - id: d
        title: D
        roles: qa
        needs: [nowhere]
      - id: e
        title: E
        roles: [qa]
        optional: maybe
        check: {run: x, timeout: soon}
  - id: three
    title: Three
    items:
      - {id: f, title: F, roles: [sre], needs: [f]}
      - {id: f, title: G, roles: [sre]}
`
	wants := []string{
		`3:1: unknown key "colour"`,
		`8:13: invalid item id "Bad"`,
		`10:17: unknown role "wizzard"`,
		`13:16: roles must be a list`,
		`14:17: needs "nowhere": no item`,
		`18:19: optional must be true or false`,
		`19:34: check timeout: invalid duration "soon"`,
		`23:49: needs cycle: f → f`,
		`24:14: duplicate id "f"`,
	}
	l := &Loader{Embedded: fstest.MapFS{"base.yaml": {Data: []byte(ruleBase)}, "t.yaml": {Data: []byte(src)}}}
	_, err := l.Load("t")
	problems := problemsOf(t, err)
	if len(problems) != len(wants) {
		t.Errorf("got %d problems, want %d:\n%v", len(problems), len(wants), err)
	}
	for i, w := range wants {
		if i >= len(problems) || !strings.HasPrefix(problems[i].String(), "embedded/t.yaml:"+w) {
			t.Errorf("problem %d: want %q, got:\n%v", i, w, err)
		}
	}
	if got := strings.Count(err.Error(), "\n") + 1; got != len(problems) {
		t.Errorf("Error() has %d lines for %d problems", got, len(problems))
	}
}
