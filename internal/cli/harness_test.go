package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/octorelease/octorelease/internal/errs"
)

// -update rewrites testdata/*.golden. Another test file of the package
// may define the flag too: whichever is initialised first wins.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite testdata/*.golden from the current output")
	}
}

func updatingGoldens() bool {
	return flag.Lookup("update").Value.String() == "true"
}

// checkGolden compares got with testdata/<name>.golden, or writes it there
// under -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if updatingGoldens() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

// runArgs runs one octorelease command line as a process would: through
// NewRootCmd and Execute, with a Factory of its own built from base's
// construction fields only (the streams, clock, environment, folder,
// version and git stand-in), so nothing a Factory caches (config, actor,
// policy, flags) carries over from one command to the next. stdout is a
// terminal when tty is set; stdin and stderr never are. base's buffers
// are reset first and their contents returned. The actor comes from the
// command line (--as), as base.Flags is not copied.
func runArgs(t *testing.T, base *Factory, tty bool, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	f := &Factory{
		IO:        base.IO,
		Now:       base.Now,
		LookupEnv: base.LookupEnv,
		Cwd:       base.Cwd,
		Version:   base.Version,
		gitEmailF: base.gitEmailF,
	}
	out, ok1 := f.IO.Out.(*bytes.Buffer)
	errOut, ok2 := f.IO.ErrOut.(*bytes.Buffer)
	if !ok1 || !ok2 {
		t.Fatal("runArgs needs streams over buffers (iostreams.Test)")
	}
	out.Reset()
	errOut.Reset()
	f.IO.SetTTY(false, tty, false)
	if args == nil {
		args = []string{} // nil would make cobra read os.Args
	}
	root := NewRootCmd(f)
	root.SetArgs(args)
	err = Execute(f, root)
	return out.String(), errOut.String(), err
}

// mustRunArgs is runArgs for a command that must succeed; it returns stdout.
func mustRunArgs(t *testing.T, base *Factory, tty bool, args ...string) string {
	t.Helper()
	out, errOut, err := runArgs(t, base, tty, args...)
	if err != nil {
		t.Fatalf("octorelease %q: %v (exit %d)\nstderr: %s", args, err, errs.Code(err), errOut)
	}
	return out
}
