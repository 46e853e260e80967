// Package app builds octorelease's dependencies, runs the root command and
// maps every error to an exit code and one stderr line, in one place.
package app

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/octorelease/octorelease/internal/cli"
	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/iostreams"
)

// Version is stamped at build time with -ldflags "-X ...app.Version=...".
var Version = "dev"

// Main runs octorelease with the process's arguments and returns the exit code.
func Main() int {
	io := iostreams.System(os.Getenv)
	code := Run(cli.NewFactory(io, Version), os.Args[1:])
	if err := io.Flush(); err != nil && code == errs.CodeOK {
		fmt.Fprintln(os.Stderr, "octorelease: write output:", err)
		code = errs.CodeRuntime
	}
	return code
}

// Run executes one command line against a Factory.
func Run(f *cli.Factory, args []string) int {
	root := cli.NewRootCmd(f)
	root.SetArgs(args)
	err := cli.Execute(f, root)
	return Report(f.IO.ErrOut, err)
}

// Report prints err as "octorelease: <message>" (plus a hint line) and
// returns its exit code, errs.Code's: an error without a code of its own
// is a runtime failure (cobra's argument errors are usage errors already,
// see cli.usageArgs).
func Report(w io.Writer, err error) int {
	if err == nil {
		return errs.CodeOK
	}
	code := errs.Code(err)
	if _, silent := err.(errs.Silent); silent {
		return code
	}
	msg := strings.TrimSpace(err.Error())
	for _, line := range strings.Split(msg, "\n") { // multi-problem errors: one line each
		fmt.Fprintln(w, "octorelease: "+shorten(line))
	}
	if h := errs.Hint(err); h != "" {
		fmt.Fprintln(w, "hint: "+shorten(h))
	}
	return code
}

// maxLine bounds a printed error line. Messages quote what the user gave
// (an id, a flag value); a 10,000-byte argument must not become a
// 10,000-byte line, so the middle of an overlong line is elided.
const maxLine = 400

func shorten(line string) string {
	if len(line) <= maxLine {
		return line
	}
	head, tail := maxLine*3/4, maxLine/4
	for head > 0 && !utf8.RuneStart(line[head]) {
		head--
	}
	cut := len(line) - tail
	for cut < len(line) && !utf8.RuneStart(line[cut]) {
		cut++
	}
	return fmt.Sprintf("%s…(%d bytes)…%s", line[:head], cut-head, line[cut:])
}
