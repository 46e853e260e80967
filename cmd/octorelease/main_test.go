package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/octorelease/octorelease/internal/app"
	"github.com/octorelease/octorelease/internal/release"
)

// TestMain registers the real binary for testscript: scripts run
// `octorelease` as a separate process of this test binary.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"octorelease": func() { os.Exit(app.Main()) },
	})
}

// TestScripts runs testdata/script/*.txtar: end-to-end sessions that read
// like a user's, with HOME inside the work dir, NO_COLOR and no network.
func TestScripts(t *testing.T) {
	params := testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(env *testscript.Env) error {
			home := filepath.Join(env.WorkDir, "home")
			env.Setenv("HOME", home)
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
			env.Setenv("NO_COLOR", "1")
			env.Setenv("OCTORELEASE_ACTOR", "tester")
			env.Setenv("GIT_CONFIG_NOSYSTEM", "1")
			// Under -race every process sleeps 1s at exit by default, which made
			// the scripts (hundreds of processes) take minutes; races are still
			// reported without it.
			env.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// exit N CMD ARGS...: run octorelease (or CMD) and require exit status N.
			"exits":     cmdExits,
			"replace":   cmdReplace,
			"events":    cmdEvents,
			"eventfile": cmdEventFile,
			"eventhash": cmdEventHash,
			"rehash":    cmdRehash,
			"cmpdir":    cmdCmpDir,
			"savedir":   cmdSaveDir,
			"items":     cmdItems,
			"repeat":    cmdRepeat,
		},
		RequireExplicitExec: false,
	}
	for name, cmd := range ciCmds {
		params.Cmds[name] = cmd
	}
	testscript.Run(t, params)
}

// cmdExits runs `exits CODE octorelease ARGS...` and checks the exact exit
// code, keeping stdout and stderr for later cmp/stdout/stderr checks.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	if err != nil {
		ee, ok := err.(interface{ ExitCode() int })
		if !ok {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("exit status %d, want %d", got, want)
	}
}

// cmdReplace runs `replace FILE OLD NEW`: replace every occurrence of OLD by
// NEW in FILE (Go-quoted escapes such as \n are allowed), failing when OLD
// does not occur. A byte edit that keeps the canonical layout of a state
// file leaves only the hash chain to catch it.
func cmdReplace(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: replace FILE OLD NEW")
	}
	unq := func(s string) string {
		if u, err := strconv.Unquote(`"` + s + `"`); err == nil {
			return u
		}
		return s
	}
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	ts.Check(err)
	old, repl := unq(args[1]), unq(args[2])
	if !bytes.Contains(data, []byte(old)) {
		ts.Fatalf("replace: %q not found in %s", old, args[0])
	}
	ts.Check(os.WriteFile(path, bytes.ReplaceAll(data, []byte(old), []byte(repl)), 0o644))
}

// cmdEvents runs `events DIR`: it prints the event files of the release
// folder DIR (DIR/events/*.json), sorted, one a line, with the leading UTC
// time replaced by TIME and the hash digits by HASH, so that a script can
// cmp the kinds, items and roles of a release's history.
func cmdEvents(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: events DIR")
	}
	for _, n := range eventNames(ts, args[0]) {
		m := eventNameRE.FindStringSubmatch(n)
		if m == nil {
			ts.Fatalf("events: %s is not named <UTC time>-<kind>[-<item>][-<role>]-<16 hex>.json", n)
		}
		fmt.Fprintf(ts.Stdout(), "TIME-%s-HASH.json\n", m[1])
	}
}

// eventNameRE is the name of an event file (SPEC §6): its UTC time, its
// kind and so on, the first 16 hex digits of its hash.
var eventNameRE = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}\.[0-9]{9}Z-([A-Za-z0-9._-]+)-[0-9a-f]{16}\.json$`)

func eventNames(ts *testscript.TestScript, dir string) []string {
	entries, err := os.ReadDir(filepath.Join(ts.MkAbs(dir), "events"))
	ts.Check(err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// cmdEventFile runs `eventfile VAR DIR REGEXP`: it sets VAR to the path of
// the one event file of release folder DIR whose name matches REGEXP, and
// fails unless exactly one does.
func cmdEventFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: eventfile VAR DIR REGEXP")
	}
	re, err := regexp.Compile(args[2])
	ts.Check(err)
	var found []string
	for _, n := range eventNames(ts, args[1]) {
		if re.MatchString(n) {
			found = append(found, n)
		}
	}
	if len(found) != 1 {
		ts.Fatalf("eventfile: %d event files of %s match %q: %v", len(found), args[1], args[2], found)
	}
	ts.Setenv(args[0], filepath.Join(ts.MkAbs(args[1]), "events", found[0]))
}

// cmdEventHash runs `eventhash VAR FILE`: it sets VAR to the hash the
// event in FILE carries.
func cmdEventHash(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: eventhash VAR FILE")
	}
	e, err := release.DecodeEvent([]byte(ts.ReadFile(args[1])))
	ts.Check(err)
	ts.Setenv(args[0], e.Hash)
}

// cmdRehash runs `rehash FILE`: it recomputes the hash of the (edited)
// event in FILE and writes it, in octorelease's own encoding, under the
// name that hash gives it in the same folder, removing FILE: what a
// careful forger does, so that only the DAG (or a signature) can tell.
func cmdRehash(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: rehash FILE")
	}
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	ts.Check(err)
	e, err := release.DecodeEvent(data)
	ts.Check(err)
	e.Hash, err = e.ComputeHash()
	ts.Check(err)
	out, err := release.EncodeEvent(e)
	ts.Check(err)
	ts.Check(os.Remove(path))
	ts.Check(os.WriteFile(filepath.Join(filepath.Dir(path), e.FileName()), out, 0o644))
}

// cmdSaveDir runs `savedir SRC DST`: it copies the folder SRC (files and
// sub-folders; a symbolic link is an error) to DST, replacing DST.
func cmdSaveDir(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: savedir SRC DST")
	}
	src, dst := ts.MkAbs(args[0]), ts.MkAbs(args[1])
	ts.Check(os.RemoveAll(dst))
	ts.Check(filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, 0o644)
		default:
			return fmt.Errorf("savedir: %s is not a regular file or folder", path)
		}
	}))
}

// cmdCmpDir runs `cmpdir OLD NEW [N]`: every file under folder OLD must be
// under NEW with the same bytes, and NEW must hold exactly N files more
// (default 0). Files named .lock are left out: a writer records itself in
// the permanent lock file, which git ignores. It prints the new files'
// paths, relative to NEW.
func cmdCmpDir(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: cmpdir OLD NEW [N]")
	}
	want := 0
	if len(args) == 3 {
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		want = n
	}
	files := func(root string) map[string][]byte {
		out := map[string][]byte{}
		ts.Check(filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() == ".lock" {
				return err
			}
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(path)
			out[filepath.ToSlash(rel)] = data
			return err
		}))
		return out
	}
	old, cur := files(ts.MkAbs(args[0])), files(ts.MkAbs(args[1]))
	for name, data := range old {
		got, ok := cur[name]
		switch {
		case !ok:
			ts.Fatalf("cmpdir: %s/%s is gone", args[1], name)
		case !bytes.Equal(got, data):
			ts.Fatalf("cmpdir: %s/%s changed", args[1], name)
		}
	}
	var added []string
	for name := range cur {
		if _, ok := old[name]; !ok {
			added = append(added, name)
		}
	}
	sort.Strings(added)
	for _, name := range added {
		fmt.Fprintln(ts.Stdout(), name)
	}
	if len(added) != want {
		ts.Fatalf("cmpdir: %s holds %d new files, want %d: %v", args[1], len(added), want, added)
	}
}

// cmdItems runs `items FILE`: it reads `checklist show -o json` output and
// prints one line per item, "phase|id|title|roles|optional|needs", for an
// item-by-item comparison with SPEC §3 through cmp.
func cmdItems(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: items FILE")
	}
	var cl struct {
		Phases []struct {
			ID    string `json:"id"`
			Items []struct {
				ID       string   `json:"id"`
				Title    string   `json:"title"`
				Roles    []string `json:"roles"`
				Optional bool     `json:"optional"`
				Needs    []string `json:"needs"`
			} `json:"items"`
		} `json:"phases"`
	}
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &cl))
	for _, p := range cl.Phases {
		for _, it := range p.Items {
			if it.Roles == nil || it.Needs == nil {
				ts.Fatalf("items: %s: roles and needs must be lists, never null", it.ID)
			}
			fmt.Fprintf(ts.Stdout(), "%s|%s|%s|%s|%v|%s\n", p.ID, it.ID, it.Title,
				strings.Join(it.Roles, ","), it.Optional, strings.Join(it.Needs, ","))
		}
	}
}

// cmdRepeat runs `repeat VAR TEXT N`: set the environment variable VAR to
// TEXT repeated N times and print it to stdout (for over-long ids, and with
// `cp stdout FILE` for oversized files).
func cmdRepeat(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: repeat VAR TEXT N")
	}
	n, err := strconv.Atoi(args[2])
	ts.Check(err)
	v := strings.Repeat(args[1], n)
	ts.Setenv(args[0], v)
	fmt.Fprint(ts.Stdout(), v)
}
