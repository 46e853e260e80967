package iostreams

import (
	"bytes"
	"fmt"
	"testing"
)

func TestDecideColor(t *testing.T) {
	tests := []struct {
		name    string
		tty     bool
		noColor bool
		env     map[string]string
		want    bool
	}{
		{"terminal", true, false, nil, true},
		{"pipe", false, false, nil, false},
		{"NO_COLOR on a terminal", true, false, map[string]string{"NO_COLOR": "1"}, false},
		{"--no-color on a terminal", true, true, nil, false},
		{"CLICOLOR=0 on a terminal", true, false, map[string]string{"CLICOLOR": "0"}, false},
		{"CLICOLOR_FORCE on a pipe", false, false, map[string]string{"CLICOLOR_FORCE": "1"}, true},
		{"CLICOLOR_FORCE=0 on a pipe", false, false, map[string]string{"CLICOLOR_FORCE": "0"}, false},
		{"NO_COLOR beats CLICOLOR_FORCE", false, false, map[string]string{"NO_COLOR": "x", "CLICOLOR_FORCE": "1"}, false},
		{"--no-color beats CLICOLOR_FORCE", true, true, map[string]string{"CLICOLOR_FORCE": "1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DecideColor(tt.tty, tt.noColor, func(k string) string { return tt.env[k] })
			if got != tt.want {
				t.Errorf("DecideColor = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTestStreamsArePlain(t *testing.T) {
	s, _, out, _ := Test()
	if s.IsStdoutTTY() || s.ColorEnabled() || s.CanPrompt() {
		t.Fatal("test streams must be no terminal and no colour")
	}
	s.SetTTY(true, true, false)
	if !s.CanPrompt() || s.IsStderrTTY() {
		t.Fatal("SetTTY not honoured")
	}
	s.Out.Write([]byte("x"))
	if out.String() != "x" {
		t.Fatal("Out does not write to the buffer")
	}
}

// A pipe gets Out buffered; anything written to ErrOut first flushes what Out
// holds, so 2>&1 keeps the order the command wrote in, and Flush writes the
// rest.
func TestBufferedOutKeepsOrderWithErrOut(t *testing.T) {
	var shared bytes.Buffer
	s := &IOStreams{}
	s.bufferOut(&shared, &shared)
	fmt.Fprintln(s.Out, "table row 1")
	fmt.Fprintln(s.Out, "table row 2")
	if shared.Len() != 0 {
		t.Fatalf("Out was not buffered: %q", shared.String())
	}
	fmt.Fprintln(s.ErrOut, "octorelease: gate not passed")
	fmt.Fprintln(s.Out, "after")
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "table row 1\ntable row 2\noctorelease: gate not passed\nafter\n"
	if shared.String() != want {
		t.Errorf("combined output %q, want %q", shared.String(), want)
	}
	if err := (&IOStreams{}).Flush(); err != nil {
		t.Errorf("Flush of unbuffered streams: %v", err)
	}
}

// The width tables fit: SetWidth, then COLUMNS (a positive number), then
// the terminal's size, then DefaultWidth.
func TestTerminalWidth(t *testing.T) {
	env := func(columns string) func(string) string {
		return func(k string) string {
			if k == "COLUMNS" {
				return columns
			}
			return ""
		}
	}
	for _, tc := range []struct {
		columns string
		set     int
		want    int
	}{
		{"", 0, DefaultWidth},
		{"100", 0, 100},
		{" 200 ", 0, 200},
		{"0", 0, DefaultWidth},
		{"-5", 0, DefaultWidth},
		{"wide", 0, DefaultWidth},
		{"100", 120, 120},
	} {
		s := &IOStreams{stdoutFd: -1, stderrFd: -1, getenv: env(tc.columns)}
		s.SetWidth(tc.set)
		if got := s.TerminalWidth(); got != tc.want {
			t.Errorf("COLUMNS=%q SetWidth(%d): TerminalWidth = %d, want %d", tc.columns, tc.set, got, tc.want)
		}
		if got := s.StderrWidth(); got != tc.want {
			t.Errorf("COLUMNS=%q SetWidth(%d): StderrWidth = %d, want %d", tc.columns, tc.set, got, tc.want)
		}
	}
	s, _, _, _ := Test()
	if w := s.TerminalWidth(); w != 0 {
		t.Errorf("test streams: width %d, want 0 (no limit)", w)
	}
	if s.SetWidth(100); s.TerminalWidth() != 100 {
		t.Errorf("test streams after SetWidth(100): width %d", s.TerminalWidth())
	}
	if w := System(func(string) string { return "" }).TerminalWidth(); w <= 0 {
		t.Errorf("process streams: width %d, want a width", w)
	}
}
