package checklist

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/octorelease/octorelease/checklists"
)

// FuzzParse: no input panics or hangs; every failure is a *ValidationError
// whose problems name the file; a success is internally consistent.
// Seeds: testdata/fuzz/FuzzParse (alias bombs, deep nesting, bad bytes) and
// the embedded checklists.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"base", "patch", "minor", "major", "incident"} {
		b, err := checklists.FS.ReadFile(name + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.yaml", data)
		if file == nil {
			t.Fatal("Parse returned a nil File")
		}
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("error %T %v: want a *ValidationError with problems", err, err)
			}
			for _, p := range ve.Problems {
				if p.File != "fuzz.yaml" || p.Msg == "" || p.Line < 0 || p.Col < 0 {
					t.Fatalf("malformed problem %+v", p)
				}
			}
			return
		}
		if file.Name != "fuzz" {
			t.Fatalf("accepted name %q for fuzz.yaml", file.Name)
		}
		ids := map[string]bool{}
		for _, p := range file.Phases {
			for _, id := range append([]string{p.ID}, itemIDs(p)...) {
				if !ValidID(id) || ids[id] {
					t.Fatalf("accepted invalid or duplicate id %q", id)
				}
				ids[id] = true
			}
			for _, it := range p.Items {
				if it.Title == "" || len(it.Roles) == 0 || (it.Check != nil && (it.Check.Run == "" || it.Check.Timeout < 0)) {
					t.Fatalf("accepted incomplete item %+v", it)
				}
			}
		}
	})
}

func itemIDs(p Phase) []string {
	var ids []string
	for _, it := range p.Items {
		ids = append(ids, it.ID)
	}
	return ids
}

// FuzzLoad runs extends resolution and the cross-file rules over a fuzzed
// base and a fuzzed child that extends it.
func FuzzLoad(f *testing.F) {
	f.Add(string(ruleBase), "name: child\nextends: base\nphases:\n  - id: two\n    title: T\n    items:\n      - {id: c, title: C, roles: [qa], needs: [a, b]}\n")
	f.Add("name: base\nextends: child\nphases: []\n", "name: child\nextends: base\nphases: []\n")
	f.Add(string(ruleBase), "name: child\nextends: base\nphases:\n  - id: one\n    title: O\n    items:\n      - {id: b, title: B, roles: [qa], needs: [a]}\n      - {id: a, title: A, roles: [sre], needs: [b]}\n")
	f.Fuzz(func(t *testing.T, base, child string) {
		l := &Loader{Embedded: fstest.MapFS{
			"base.yaml":  {Data: []byte(base)},
			"child.yaml": {Data: []byte(child)},
		}}
		cl, err := l.Load("child")
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("error %T %v: want a *ValidationError with problems", err, err)
			}
			return
		}
		// A loaded checklist keeps every promise the rest of the program relies on.
		phaseOf := map[string]int{}
		seen := map[string]bool{}
		for pi, p := range cl.Phases {
			if seen[p.ID] || len(p.Items) == 0 {
				t.Fatalf("phase %q duplicate or empty", p.ID)
			}
			seen[p.ID] = true
			for _, it := range p.Items {
				if seen[it.ID] || it.Roles == nil || it.Needs == nil {
					t.Fatalf("item %+v duplicate or with nil slices", it)
				}
				seen[it.ID] = true
				phaseOf[it.ID] = pi
			}
		}
		for pi, p := range cl.Phases {
			for _, it := range p.Items {
				for _, n := range it.Needs {
					if np, ok := phaseOf[n]; !ok || np > pi || slices.Contains(it.Needs, it.ID) {
						t.Fatalf("item %q has a bad need %q", it.ID, n)
					}
				}
			}
		}
		if _, err := json.Marshal(cl); err != nil {
			t.Fatal(err)
		}
	})
}

// TestHostileInputs: inputs built to exhaust memory or time are refused
// quickly with a clear problem. (They are too large for the fuzz corpus:
// minimising their mutations would eat the whole fuzzing budget.)
func TestHostileInputs(t *testing.T) {
	laughs := "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
	for i, c := range "bcdefghijklmnopqrstuvwxyz" {
		prev := string(rune('a' + i))
		laughs += string(c) + ": &" + string(c) + " [" + strings.Repeat("*"+prev+", ", 8) + "*" + prev + "]\n"
	}
	rolesBomb := "name: fuzz\nphases:\n  - id: p\n    title: P\n    items:\n      - {id: a, title: A, roles: &a [qa, qa, qa, qa, qa, qa, qa, qa, qa]}\n"
	for c := 'b'; c <= 'z'; c++ {
		prev := string(c - 1)
		rolesBomb += fmt.Sprintf("      - {id: %c, title: T, roles: &%c [%s*%s]}\n", c, c, strings.Repeat("*"+prev+", ", 8), prev)
	}
	tests := map[string]struct{ in, msg string }{
		"billion laughs":        {laughs, `unknown key "z"`}, // never descended into, never expanded
		"billion laughs in use": {rolesBomb, "aliases are not supported (*y)"},
		"flow nesting too deep": {strings.Repeat("[", 20000) + strings.Repeat("]", 20000), "exceeded max depth"},
		"map nesting too deep":  {strings.Repeat("{a: ", 11000) + "x" + strings.Repeat("}", 11000), "exceeded max depth"},
		"block nesting":         {deepBlock(1000), "must be a mapping"},
		"over 1 MiB":            {strings.Repeat("#", MaxFileSize+1), "1 MiB"},
		"NUL":                   {"name: x\x00", "U+0000"},
		"flow merge":            {"{{},<<}", "merge keys (<<) are not supported"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("fuzz.yaml", []byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("want a problem containing %q, got %v", tt.msg, err)
			}
		})
	}
}

func deepBlock(depth int) string {
	var b strings.Builder
	for i := range depth {
		b.WriteString(strings.Repeat(" ", i) + "- \n")
	}
	return b.String()
}
