package legacy

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The fixture is a state folder written by a format-1 build (see
// testdata/make-fixture.sh); these are its files and event counts.
var fixtureEvents = map[string]int{
	"v1.2.0.json":            3,  // start, sign, status aborted
	"v1.3.0.json":            18, // every kind; released, incident, rolled-back
	"v1.3.0-incident-1.json": 11, // the incident run: rollback signed, released
	"v1.4.0.json":            2,  // in progress, a note with control characters
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "state", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func decodeFixture(t testing.TB, name string) *File {
	t.Helper()
	f, err := Decode(readFixture(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return f
}

func TestFixturesVerify(t *testing.T) {
	names, err := filepath.Glob(filepath.Join("testdata", "state", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != len(fixtureEvents) {
		t.Fatalf("fixture has %d files, expected %d", len(names), len(fixtureEvents))
	}
	for name, n := range fixtureEvents {
		t.Run(name, func(t *testing.T) {
			data := readFixture(t, name)
			f, err := Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Events) != n {
				t.Errorf("%d events, expected %d", len(f.Events), n)
			}
			if p := Verify(f); p != nil {
				t.Errorf("Verify: %q", p)
			}
			// Byte for byte what the old encoder wrote: proof that the
			// types and encoding/json reproduce it, not just the hashes.
			if p := VerifyBytes(data); p != nil {
				t.Errorf("VerifyBytes: %q", p)
			}
			if h := FinalHash(f); len(h) != 64 || h != f.Events[n-1].Hash {
				t.Errorf("FinalHash = %q", h)
			}
			if id := strings.TrimSuffix(name, ".json"); f.Release.ID != id {
				t.Errorf("release id %q in %s", f.Release.ID, name)
			}
		})
	}
}

func TestReadFile(t *testing.T) {
	f, err := ReadFile(filepath.Join("testdata", "state", "v1.2.0.json"))
	if err != nil || Verify(f) != nil {
		t.Fatalf("ReadFile: %v, %v", err, Verify(f))
	}
	big := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, MaxSize+1); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(big); err == nil || !strings.Contains(err.Error(), "larger than 64 MiB") {
		t.Errorf("ReadFile of a file over MaxSize: %v", err)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile of a missing file: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"format":1,"format":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(bad); err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "duplicate key") {
		t.Errorf("ReadFile of a bad file: %v", err)
	}
}

// TestFixtureCoverage holds the fixture to what it is meant to cover, so
// that a regenerated one cannot silently lose a case.
func TestFixtureCoverage(t *testing.T) {
	seen := map[string]bool{}
	for name := range fixtureEvents {
		f := decodeFixture(t, name)
		if f.Release.Parent != "" {
			seen["parent"] = true
		}
		for _, p := range f.Checklist.Phases {
			for _, it := range p.Items {
				switch {
				case it.Check == nil:
					seen["item without check"] = true
				case it.Check.Timeout != 0:
					seen["item check with timeout"] = true
				}
			}
		}
		for _, e := range f.Events {
			seen["kind "+e.Kind] = true
			if e.Status != "" {
				seen["status "+e.Status] = true
			}
			if e.Forced {
				seen["forced"] = true
			}
			if e.Link != "" {
				seen["link"] = true
			}
			for _, ev := range e.Evidence {
				if strings.ContainsAny(ev, "&") && strings.ContainsAny(ev, "<>") {
					seen["evidence with & and <>"] = true
				}
			}
			if strings.ContainsFunc(e.Note, func(r rune) bool { return r > 0x7f }) {
				seen["non-ASCII note"] = true
			}
			if strings.ContainsAny(e.Note, "\u2028\x01\n\t") {
				seen["note with escapes"] = true
			}
			if c := e.Check; c != nil {
				switch {
				case c.TimedOut:
					seen["check timed out"] = true
				case c.Passed:
					seen["check passed"] = true
				default:
					seen["check failed"] = true
				}
			}
		}
	}
	for _, want := range []string{
		"kind start", "kind sign", "kind waive", "kind revoke", "kind check", "kind force", "kind status",
		"status released", "status aborted", "status incident", "status rolled-back",
		"check passed", "check failed", "check timed out", "forced", "link", "parent",
		"evidence with & and <>", "non-ASCII note", "note with escapes",
		"item without check", "item check with timeout",
	} {
		if !seen[want] {
			t.Errorf("fixture has no %s", want)
		}
	}
}

// TestEveryEventEdit changes the note of each event of each fixture in turn
// and checks that Verify names exactly that event.
func TestEveryEventEdit(t *testing.T) {
	for name := range fixtureEvents {
		orig := decodeFixture(t, name)
		for i := range orig.Events {
			f := decodeFixture(t, name)
			f.Events[i].Note += " (edited)"
			data, err := canonical(f)
			if err != nil {
				t.Fatal(err)
			}
			g, err := Decode(data)
			if err != nil {
				t.Fatalf("%s event %d: %v", name, i+1, err)
			}
			want := []string{"event " + strconv.Itoa(i+1) + ": hash does not match its content (event edited?)"}
			if got := Verify(g); !slices.Equal(got, want) {
				t.Errorf("%s, note of event %d edited: Verify = %q, want %q", name, i+1, got, want)
			}
		}
	}
}

// TestHandEdits edits the file's bytes as a person would.
func TestHandEdits(t *testing.T) {
	data := readFixture(t, "v1.3.0.json")
	cases := []struct {
		name, old, new string
		want           []string // Verify's problems
		canonical      bool     // the edit keeps the canonical form
	}{
		{"note", `"note": "re-merged"`, `"note": "re-merged."`,
			[]string{"event 4: hash does not match its content (event edited?)"}, true},
		{"unicode note", `"note": "Änderungen angekündigt"`, `"note": "Anderungen angekundigt"`,
			[]string{"event 15: hash does not match its content (event edited?)"}, true},
		{"evidence", `https://tests.example.com/r?a=1&b=2`, `https://tests.example.com/r?a=1&b=3`,
			[]string{"event 10: hash does not match its content (event edited?)"}, true},
		{"check output", `"output_tail": "not ready <&> ✗\n"`, `"output_tail": "ready <&> ✓\n"`,
			[]string{"event 5: hash does not match its content (event edited?)"}, true},
		{"forced dropped", "\n      \"forced\": true,", "",
			[]string{"event 12: hash does not match its content (event edited?)"}, true},
		{"summary", `"summary": "Faster search`, `"summary": "Slower search`,
			[]string{"event 1: does not chain to the header (release metadata, checklist or format changed?)"}, true},
		{"checklist title", `"title": "Deploy to production"`, `"title": "Deploy anywhere"`,
			[]string{"event 1: does not chain to the header (release metadata, checklist or format changed?)"}, true},
		{"checklist timeout", `"timeout": "1s"`, `"timeout": "2s"`,
			[]string{"event 1: does not chain to the header (release metadata, checklist or format changed?)"}, true},
		// Serial is outside the chain by design.
		{"serial", `"serial": 17,`, `"serial": 99,`, nil, true},
		// Same values written differently: the chain holds, as it did for
		// the old code, and only the canonical form is broken.
		{"timeout as 90s", `"timeout": "1m30s"`, `"timeout": "90s"`, nil, false},
		{"escaped key", `"summary":`, `"summ\u0061ry":`, nil, false},
		{"escaped slash", `https://tests.example.com/r`, `https:\/\/tests.example.com\/r`, nil, false},
		{"time offset", `"created_at": "2026-12-01T20:37:31.543027021Z"`, `"created_at": "2026-12-01T22:37:31.543027021+02:00"`, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if bytes.Count(data, []byte(c.old)) < 1 {
				t.Fatalf("%q not in the fixture", c.old)
			}
			edited := bytes.Replace(data, []byte(c.old), []byte(c.new), 1)
			f, err := Decode(edited)
			if err != nil {
				t.Fatal(err)
			}
			if got := Verify(f); !slices.Equal(got, c.want) {
				t.Errorf("Verify = %q, want %q", got, c.want)
			}
			vb := VerifyBytes(edited)
			nonCanon := len(vb) > 0 && strings.HasPrefix(vb[0], "file is not in canonical form")
			if nonCanon == c.canonical {
				t.Errorf("VerifyBytes = %q; canonical form kept: %v", vb, c.canonical)
			}
		})
	}
}

func TestVerifyStructural(t *testing.T) {
	const (
		hashMismatch = "hash does not match"
		chainBreak   = "does not chain to"
		seqWrong     = "seq is"
	)
	cases := []struct {
		name string
		edit func(f *File)
		want []string // substrings of the first problems, in order
	}{
		{"intact", func(*File) {}, nil},
		{"removed event 5", func(f *File) { f.Events = slices.Delete(f.Events, 4, 5) },
			[]string{"event 5: seq is 6, expected 5", "event 5: does not chain to event 4", "event 6: seq is 7, expected 6"}},
		{"removed start", func(f *File) { f.Events = f.Events[1:] },
			[]string{`event 1: kind is "sign", expected "start"`, "event 1: seq is 2, expected 1", "event 1: does not chain to the header", "event 2: seq is 3"}},
		{"removed all", func(f *File) { f.Events = nil }, []string{"no events: the start event is missing"}},
		{"reordered 2 and 3", func(f *File) { f.Events[1], f.Events[2] = f.Events[2], f.Events[1] },
			[]string{"event 2: seq is 3, expected 2", "event 2: does not chain to event 1", "event 3: seq is 2, expected 3", "event 3: does not chain to event 2", "event 4: does not chain to event 3"}},
		{"renumbered after removal", func(f *File) {
			f.Events = slices.Delete(f.Events, 4, 5)
			for i := range f.Events {
				f.Events[i].Seq = i + 1
			}
		}, []string{"event 5: does not chain to event 4", "event 5: " + hashMismatch, "event 6: " + hashMismatch}},
		{"prev edited", func(f *File) { f.Events[6].Prev = strings.Repeat("0", 64) },
			[]string{"event 7: does not chain to event 6", "event 7: " + hashMismatch}},
		{"hash edited", func(f *File) { f.Events[6].Hash = strings.Repeat("0", 64) },
			[]string{"event 7: " + hashMismatch, "event 8: does not chain to event 7"}},
		{"actor edited", func(f *File) { f.Events[1].Actor = "mallory@example.com" }, []string{"event 2: " + hashMismatch}},
		{"time edited", func(f *File) { f.Events[2].At = f.Events[2].At.Add(time.Nanosecond) }, []string{"event 3: " + hashMismatch}},
		{"second start", func(f *File) { f.Events[3].Kind = "start" }, []string{"event 4: a second start event", "event 4: " + hashMismatch}},
		{"unknown kind", func(f *File) { f.Events[3].Kind = "approve" }, []string{`event 4: unknown kind "approve"`, "event 4: " + hashMismatch}},
		{"release id", func(f *File) { f.Release.ID = "v9.9.9" }, []string{"event 1: " + chainBreak + " the header"}},
		{"parent added", func(f *File) { f.Release.Parent = "v1.2.0" }, []string{"event 1: " + chainBreak + " the header"}},
		{"item role added", func(f *File) {
			f.Checklist.Phases[0].Items[0].Roles = append(f.Checklist.Phases[0].Items[0].Roles, "qa")
		},
			[]string{"event 1: " + chainBreak + " the header"}},
		{"format", func(f *File) { f.Format = 2 }, []string{"format is 2, expected 1", "event 1: " + chainBreak + " the header"}},
		{"serial", func(f *File) { f.Serial++ }, nil},
		// A cut after the last event leaves a valid chain (by design of
		// format 1); FinalHash changes, which is what a copy can catch.
		{"tail cut", func(f *File) { f.Events = f.Events[:len(f.Events)-1] }, nil},
		// Nil and empty lists hash alike: format 1 wrote both as [].
		{"nil lists", func(f *File) {
			f.Checklist.Phases[0].Items[0].Needs = nil
			f.Events[0].Evidence = []string{}
		}, nil},
		{"time zone", func(f *File) {
			f.Release.CreatedAt = f.Release.CreatedAt.In(time.FixedZone("X", 3600))
			f.Events[2].At = f.Events[2].At.In(time.FixedZone("Y", -7200))
		}, nil},
		{"time out of range", func(f *File) { f.Events[2].At = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
			[]string{"event 3: " + hashMismatch}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := decodeFixture(t, "v1.3.0.json")
			c.edit(f)
			got := Verify(f)
			// A removal puts every later event out of place.
			n := map[string]int{"removed event 5": 14, "removed start": 19, "renumbered after removal": 14}[c.name]
			if n = max(n, len(c.want)); len(got) != n {
				t.Fatalf("Verify = %q, want %d problems starting %q", got, n, c.want)
			}
			for i := range c.want {
				if !strings.Contains(got[i], c.want[i]) {
					t.Errorf("problem %d is %q, want %q", i+1, got[i], c.want[i])
				}
			}
		})
	}
	if Verify(nil) == nil {
		t.Error("Verify(nil) = nil")
	}
	if FinalHash(nil) != "" || FinalHash(&File{}) != "" {
		t.Error("FinalHash of no events is not empty")
	}
}

func TestDecodeStrict(t *testing.T) {
	valid := readFixture(t, "v1.4.0.json")
	edit := func(old, new string) []byte {
		if !bytes.Contains(valid, []byte(old)) {
			t.Fatalf("%q not in the fixture", old)
		}
		return bytes.Replace(valid, []byte(old), []byte(new), 1)
	}
	const note = `"note": "a\\b \"q\" \u0001 ctrl",`
	cases := []struct {
		name string
		data []byte
		want string // in the error; "" for no error
	}{
		{"valid", valid, ""},
		{"trailing newline missing", bytes.TrimSuffix(valid, []byte("\n")), ""},
		{"unknown field", edit(`"serial": 2,`, `"serial": 2, "extra": true,`), `unknown field "extra"`},
		{"unknown field in event", edit(note, note+` "bogus": 1,`), `unknown field "bogus"`},
		{"unknown field in item", edit(`"run": "sleep 5",`, `"run": "sleep 5", "shell": "sh",`), `unknown field "shell"`},
		{"key in another case", edit(`"serial":`, `"Serial":`), `unknown field "Serial"`},
		{"key with Unicode folding", edit(`"serial":`, `"ſerial":`), `unknown field "ſerial"`},
		{"duplicate key", edit(`"serial": 2,`, `"serial": 2, "serial": 3,`), `duplicate key "serial" in the top level`},
		{"duplicate key in event", edit(note, note+` "note": "again",`), `duplicate key "note" in events[1]`},
		{"duplicate key in item", edit(`"run": "sleep 5",`, `"run": "sleep 5", "run": "true",`), `duplicate key "run" in checklist.phases[0].items[2].check`},
		{"duplicate escaped key", edit(`"serial": 2,`, `"serial": 2, "s\u0065rial": 3,`), `duplicate key "serial"`},
		{"trailing data", append(slices.Clone(valid), 'x'), "trailing data"},
		{"second object", append(slices.Clone(valid), "{}"...), "trailing data"},
		{"format 2", edit(`"format": 1,`, `"format": 2,`), "state file is format 2, not format 1"},
		{"format 2 with new fields", edit(`"format": 1,`, `"format": 2, "segments": [],`), "state file is format 2, not format 1"},
		{"format 0", edit(`"format": 1,`, `"format": 0,`), "format missing"},
		{"format missing", edit(`"format": 1,`, ``), "format missing"},
		{"format as string", edit(`"format": 1,`, `"format": "1",`), "invalid state file"},
		{"format 1.0", edit(`"format": 1,`, `"format": 1.0,`), "invalid state file"},
		{"empty", nil, "empty state file"},
		{"white space", []byte(" \n\t\r\n"), "empty state file"},
		{"null", []byte("null"), "format missing"},
		{"array", []byte("[]"), "invalid state file"},
		{"truncated", valid[:len(valid)/2], "invalid state file"},
		{"deep nesting", []byte(strings.Repeat("[", 100000)), "invalid state file"},
		{"too big", make([]byte, MaxSize+1), "larger than 64 MiB"},
		{"seq as string", edit(`"seq": 2,`, `"seq": "2",`), "invalid state file"},
		{"seq with exponent", edit(`"seq": 2,`, `"seq": 2e0,`), "invalid state file"},
		{"bad time", edit(`"created_at": "`, `"created_at": "yesterday`), "invalid state file"},
		{"time out of range", edit(`"created_at": "2026-12-01T20:37:32.676999821Z"`, `"created_at": "0000-01-01T00:00:00+01:00"`), "created_at: time"},
		{"bad duration", edit(`"timeout": "1s"`, `"timeout": "soon"`), `invalid duration "soon"`},
		{"duration as number", edit(`"timeout": "1s"`, `"timeout": 1`), "duration must be a string"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Decode(c.data)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("Decode: %v", err)
			case c.want == "":
				if p := Verify(f); p != nil {
					t.Errorf("Verify: %q", p)
				}
			case err == nil:
				t.Fatalf("Decode accepted it; want an error with %q", c.want)
			case !strings.Contains(err.Error(), c.want):
				t.Errorf("Decode: %v; want %q in it", err, c.want)
			}
		})
	}
}

// TestDecodeLikeFormat1 holds Decode to values that the old decoder gave
// the meaning encoding/json gives them.
func TestDecodeLikeFormat1(t *testing.T) {
	valid := readFixture(t, "v1.4.0.json")
	edited := bytes.Replace(valid, []byte(`"needs": [],`), []byte(`"needs": null,`), 1)
	edited = bytes.Replace(edited, []byte(`"timeout": "1m30s"`), []byte(`"timeout": null`), 1)
	f, err := Decode(edited)
	if err != nil {
		t.Fatal(err)
	}
	it := f.Checklist.Phases[0].Items[0]
	if it.Needs != nil {
		t.Errorf("needs null decoded as %#v", it.Needs)
	}
	if d := f.Checklist.Phases[0].Items[1].Check.Timeout; d != 0 {
		t.Errorf("timeout null decoded as %v", d)
	}
	// null needs hash as [], what was written: the header still chains.
	// The null timeout does not (the snapshot had 1m30s).
	want := []string{"event 1: does not chain to the header (release metadata, checklist or format changed?)"}
	if got := Verify(f); !slices.Equal(got, want) {
		t.Errorf("Verify = %q, want %q", got, want)
	}
}

func TestCheckNoDuplicateKeys(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{}`, ""},
		{`[]`, ""},
		{`{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}],"d":[[{"a":5}]]}`, ""},
		{`{"a":1,"a":2}`, `duplicate key "a" in the top level`},
		{`{"a":{"b":[{"c":1},{"c":1,"c":2}]}}`, `duplicate key "c" in a.b[1]`},
		{`{"a":[[1,{"x":{},"x":[]}]]}`, `duplicate key "x" in a[0][1]`},
		{`{"a":{"b":1},"a":{"b":1}}`, `duplicate key "a" in the top level`},
		{`{"A":1}`, `unknown field "A" in the top level`},
		{`{"x":{"":1}}`, `unknown field "" in x`},
		{strings.Repeat(`{"k":[`, 20), "nested deeper"},
		{`{"a":`, "EOF"},
	}
	for _, c := range cases {
		err := checkNoDuplicateKeys([]byte(c.in))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.in, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%.40s: error %v, want %q", c.in, err, c.want)
		}
	}
}

func TestDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, ""}, {90 * time.Second, "1m30s"}, {10 * time.Minute, "10m"}, {time.Hour, "1h"},
		{90 * time.Minute, "1h30m"}, {45 * time.Second, "45s"}, {1500 * time.Millisecond, "1.5s"}, {-time.Hour, "-1h"},
	} {
		if got := Duration(c.d).String(); got != c.want {
			t.Errorf("Duration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestToChecklist(t *testing.T) {
	f := decodeFixture(t, "v1.3.0.json")
	c := f.Checklist.ToChecklist()
	if c.Name != "minor" || c.Description != f.Checklist.Description || c.Source != f.Checklist.Source || len(c.Phases) != 2 {
		t.Fatalf("converted checklist %+v", c)
	}
	for pi, p := range f.Checklist.Phases {
		q := c.Phases[pi]
		if q.ID != p.ID || q.Title != p.Title || len(q.Items) != len(p.Items) {
			t.Fatalf("phase %d: %+v", pi, q)
		}
		for ii, it := range p.Items {
			jt := q.Items[ii]
			if jt.ID != it.ID || jt.Title != it.Title || jt.Optional != it.Optional || jt.Help != it.Help ||
				!slices.Equal(jt.Roles, it.Roles) || !slices.Equal(jt.Needs, it.Needs) || (jt.Check == nil) != (it.Check == nil) {
				t.Errorf("item %s: %+v from %+v", it.ID, jt, it)
			}
			if it.Check != nil && (jt.Check.Run != it.Check.Run || time.Duration(jt.Check.Timeout) != time.Duration(it.Check.Timeout)) {
				t.Errorf("item %s: check %+v from %+v", it.ID, *jt.Check, *it.Check)
			}
		}
	}
	if it, _, ok := c.Item("unit-tests"); !ok || it.Check.EffectiveTimeout() != 90*time.Second {
		t.Errorf("unit-tests check: %+v", it)
	}
	// The copy shares no list with the snapshot.
	c.Phases[0].Items[0].Roles[0] = "changed"
	if f.Checklist.Phases[0].Items[0].Roles[0] == "changed" {
		t.Error("ToChecklist shares roles with the snapshot")
	}
}
