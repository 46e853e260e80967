// Package app builds octorelease's dependencies, runs the root command and
// maps every error to an exit code and one stderr line, in one place.
package app

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/octorelease/octorelease/internal/cli"
	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/iostreams"
)

// Version is stamped at build time with -ldflags "-X ...app.Version=...".
var Version = "dev"

// Main runs octorelease with the process's arguments and returns the exit code.
func Main() int {
	io := iostreams.System(os.Getenv)
	return Run(cli.NewFactory(io, Version), os.Args[1:])
}

// Run executes one command line against a Factory.
func Run(f *cli.Factory, args []string) int {
	root := cli.NewRootCmd(f)
	root.SetArgs(args)
	err := root.Execute()
	return Report(f.IO.ErrOut, err)
}

// Report prints err as "octorelease: <message>" (plus a hint line) and
// returns its exit code. Errors without a code of their own come from cobra
// (unknown command, wrong arguments): usage errors, exit 2.
func Report(w io.Writer, err error) int {
	if err == nil {
		return errs.CodeOK
	}
	code := errs.CodeUsage
	if errs.IsTyped(err) {
		code = errs.Code(err)
	}
	if _, silent := err.(errs.Silent); silent {
		return code
	}
	msg := strings.TrimSpace(err.Error())
	if strings.Contains(msg, "\n") { // multi-problem errors: one line each
		fmt.Fprintln(w, "octorelease: "+strings.ReplaceAll(msg, "\n", "\noctorelease: "))
	} else {
		fmt.Fprintln(w, "octorelease: "+msg)
	}
	if h := errs.Hint(err); h != "" {
		fmt.Fprintln(w, "hint: "+h)
	} else if code == errs.CodeUsage && !errs.IsTyped(err) {
		fmt.Fprintln(w, "hint: see 'octorelease --help'")
	}
	return code
}
