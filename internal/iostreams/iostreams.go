// Package iostreams holds the standard streams a command writes through and
// decides, once, whether output is for a terminal and whether it is coloured,
// and how wide the terminal is. It never queries the terminal: detection and
// size are ioctls on the file descriptor (a console call on Windows), never
// an escape sequence written to it.
package iostreams

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"
)

// DefaultWidth is the width assumed for a terminal whose size cannot be read.
const DefaultWidth = 80

// IOStreams are the streams of one run.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY, stdoutTTY, stderrTTY bool
	color                          bool
	flush                          func() error // nil when Out is not buffered

	// The descriptors whose terminal size is read (-1: none, as in tests),
	// the environment (COLUMNS) and a width set by SetWidth (0: none).
	stdoutFd, stderrFd int
	getenv             func(string) string
	width              int
}

// System returns the process's streams with terminal detection done.
func System(getenv func(string) string) *IOStreams {
	s := &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		stdinTTY:  isTerminal(os.Stdin),
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
		stdoutFd:  int(os.Stdout.Fd()),
		stderrFd:  int(os.Stderr.Fd()),
		getenv:    getenv,
	}
	s.color = DecideColor(s.stdoutTTY, false, getenv)
	if !s.stdoutTTY {
		s.bufferOut(os.Stdout, os.Stderr)
	}
	return s
}

// bufferOut buffers Out, which is not a terminal: a status table of a
// 1,000-item release is a thousand lines, and a write(2) per line costs more
// than rendering them. Whatever goes to ErrOut first flushes Out, so the two
// streams keep their order when they share a pipe (2>&1).
func (s *IOStreams) bufferOut(out, errOut io.Writer) {
	bw := bufio.NewWriterSize(out, 64<<10)
	s.Out = bw
	s.ErrOut = flushFirst{w: errOut, out: bw}
	s.flush = bw.Flush
}

type flushFirst struct {
	w   io.Writer
	out *bufio.Writer
}

func (f flushFirst) Write(p []byte) (int, error) {
	if f.out.Buffered() > 0 {
		_ = f.out.Flush() // a failed stdout must not silence stderr
	}
	return f.w.Write(p)
}

// Flush writes out what Out buffered; call it before the process exits.
func (s *IOStreams) Flush() error {
	if s.flush == nil {
		return nil
	}
	return s.flush()
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// Test returns streams over buffers: no terminal, no colour, no width
// (SetWidth gives them one).
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, stdoutFd: -1, stderrFd: -1}, in, out, errOut
}

// DecideColor applies STYLE.md's rule: off for NO_COLOR (any non-empty
// value), --no-color, CLICOLOR=0 or a stdout that is not a terminal; on for
// CLICOLOR_FORCE (non-empty, not "0"), which beats all but NO_COLOR and --no-color.
func DecideColor(stdoutTTY, noColorFlag bool, getenv func(string) string) bool {
	if noColorFlag || getenv("NO_COLOR") != "" {
		return false
	}
	if f := getenv("CLICOLOR_FORCE"); f != "" && f != "0" {
		return true
	}
	if getenv("CLICOLOR") == "0" {
		return false
	}
	return stdoutTTY
}

// SetTTY overrides terminal detection (tests, pseudo-terminals).
func (s *IOStreams) SetTTY(stdin, stdout, stderr bool) {
	s.stdinTTY, s.stdoutTTY, s.stderrTTY = stdin, stdout, stderr
}

// SetColor overrides the colour decision.
func (s *IOStreams) SetColor(on bool) { s.color = on }

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal (progress goes there).
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// ColorEnabled reports whether output may carry colour escapes.
func (s *IOStreams) ColorEnabled() bool { return s.color }

// CanPrompt reports whether an interactive prompt can run: stdin and stdout
// are both terminals.
func (s *IOStreams) CanPrompt() bool { return s.stdinTTY && s.stdoutTTY }

// SetWidth fixes the terminal width (tests); 0 goes back to reading it.
func (s *IOStreams) SetWidth(columns int) { s.width = columns }

// TerminalWidth is the width, in columns, that output on stdout should fit:
// see width. Only output for a terminal is fitted; on a pipe rows are
// tab-separated whatever the width.
func (s *IOStreams) TerminalWidth() int { return s.terminalWidth(s.stdoutFd) }

// StderrWidth is TerminalWidth for stderr, where progress is drawn.
func (s *IOStreams) StderrWidth() int { return s.terminalWidth(s.stderrFd) }

// terminalWidth is, in order: the width SetWidth fixed; COLUMNS when it is a
// positive number (tests, or a user who wants another width; shells set it
// without exporting it, so it is seldom stale); the size of the terminal on
// fd, read afresh so a resized window is honoured; else DefaultWidth. Test
// streams, which have no descriptor and no environment, have no width: 0,
// which tables take as no limit.
func (s *IOStreams) terminalWidth(fd int) int {
	if s.width > 0 {
		return s.width
	}
	if s.getenv != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(s.getenv("COLUMNS"))); err == nil && n > 0 {
			return n
		}
	}
	if fd < 0 && s.getenv == nil {
		return 0
	}
	if fd >= 0 {
		if w, _, err := term.GetSize(fd); err == nil && w > 0 {
			return w
		}
	}
	return DefaultWidth
}
