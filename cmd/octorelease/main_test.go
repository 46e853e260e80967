package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// exit N CMD ARGS...: run octorelease (or CMD) and require exit status N.
			"exits":   cmdExits,
			"replace": cmdReplace,
			"events":  cmdEvents,
			"items":   cmdItems,
			"repeat":  cmdRepeat,
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

// cmdEvents runs `events FILE remove N` or `events FILE swap N M` on a state
// file: it removes or swaps events (1-based positions) and writes the file
// back in octorelease's own canonical encoding, as a careful forger would, so
// that only the hash chain can tell.
func cmdEvents(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: events FILE remove N | events FILE swap N M")
	}
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	ts.Check(err)
	r, err := release.Decode(data)
	ts.Check(err)
	pos := func(s string) int {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > len(r.Events) {
			ts.Fatalf("events: position %q out of range 1..%d", s, len(r.Events))
		}
		return n - 1
	}
	switch {
	case args[1] == "remove" && len(args) == 3:
		i := pos(args[2])
		r.Events = append(r.Events[:i], r.Events[i+1:]...)
	case args[1] == "swap" && len(args) == 4:
		i, j := pos(args[2]), pos(args[3])
		r.Events[i], r.Events[j] = r.Events[j], r.Events[i]
	default:
		ts.Fatalf("usage: events FILE remove N | events FILE swap N M")
	}
	out, err := release.Encode(r)
	ts.Check(err)
	ts.Check(os.WriteFile(path, out, 0o644))
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
