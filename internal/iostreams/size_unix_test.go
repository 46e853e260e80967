//go:build linux || darwin

package iostreams

import (
	"testing"

	"github.com/creack/pty"
)

// TestTerminalWidthOfPty reads the size of a pseudo-terminal with an ioctl,
// never a query written to it, and follows a resize.
func TestTerminalWidthOfPty(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	s := &IOStreams{stdoutFd: int(tty.Fd()), stderrFd: -1, getenv: func(string) string { return "" }}
	for _, cols := range []uint16{100, 200, 80} {
		if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: cols}); err != nil {
			t.Fatal(err)
		}
		if got := s.TerminalWidth(); got != int(cols) {
			t.Errorf("TerminalWidth = %d, want %d", got, cols)
		}
	}
	s.getenv = func(k string) string { return map[string]string{"COLUMNS": "123"}[k] }
	if got := s.TerminalWidth(); got != 123 {
		t.Errorf("COLUMNS=123 on a terminal: TerminalWidth = %d", got)
	}
}
