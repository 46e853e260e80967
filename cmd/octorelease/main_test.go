package main

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/octorelease/octorelease/internal/app"
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
	testscript.Run(t, testscript.Params{
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
			"exits": cmdExits,
		},
		RequireExplicitExec: false,
	})
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
