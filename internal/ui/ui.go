// Package ui holds octorelease's text styles, named by meaning, and the
// renderers and the small table, time and escaping helpers that the
// commands share (SPEC §10). Styles are applied only when iostreams decided
// on colour; tables on a terminal fit the width iostreams read; on a pipe
// they are tab-separated rows of ids; text from files and people goes
// through Clean. Nothing here queries the terminal.
package ui

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"charm.land/lipgloss/v2"
)

// Theme renders text by meaning. The zero Theme renders plain text.
type Theme struct {
	color bool
	// styled remembers short styled texts (state words, marks, role
	// names), which repeat on every row: lipgloss's Render is far slower
	// than the lookup (figures in docs/performance.md).
	styled *sync.Map // styledKey → string
}

type styledKey struct {
	style int
	text  string
}

// NewTheme returns a Theme that colours output when color is true.
func NewTheme(color bool) Theme {
	if !color {
		return Theme{}
	}
	return Theme{color: true, styled: new(sync.Map)}
}

// The styles, by meaning.
const (
	styleDone = iota
	stylePending
	styleBlocked
	styleWaived
	styleForced
	styleFailed
	styleHeading
	styleRole
	styleMuted
	styleCount
)

// palette is the ANSI 16-colour palette: it follows the user's terminal
// theme, so no background detection is needed to stay readable. Built on
// first use, so output without colour (pipes, CI) never pays for it.
var palette = sync.OnceValue(func() *[styleCount]lipgloss.Style {
	return &[styleCount]lipgloss.Style{
		styleDone:    lipgloss.NewStyle().Foreground(lipgloss.Green),
		stylePending: lipgloss.NewStyle().Foreground(lipgloss.Yellow),
		styleBlocked: lipgloss.NewStyle().Foreground(lipgloss.BrightBlack),
		styleWaived:  lipgloss.NewStyle().Foreground(lipgloss.Cyan),
		styleForced:  lipgloss.NewStyle().Foreground(lipgloss.Magenta).Bold(true),
		styleFailed:  lipgloss.NewStyle().Foreground(lipgloss.Red).Bold(true),
		styleHeading: lipgloss.NewStyle().Bold(true),
		styleRole:    lipgloss.NewStyle().Foreground(lipgloss.Blue),
		styleMuted:   lipgloss.NewStyle().Foreground(lipgloss.BrightBlack),
	}
})

func (t Theme) apply(style int, text string) string {
	if !t.color || text == "" {
		return text
	}
	if len(text) > 32 {
		return palette()[style].Render(text)
	}
	k := styledKey{style, text}
	if s, ok := t.styled.Load(k); ok {
		return s.(string)
	}
	s := palette()[style].Render(text)
	t.styled.Store(k, s)
	return s
}

func (t Theme) Done(s string) string    { return t.apply(styleDone, s) }
func (t Theme) Pending(s string) string { return t.apply(stylePending, s) }
func (t Theme) Blocked(s string) string { return t.apply(styleBlocked, s) }
func (t Theme) Waived(s string) string  { return t.apply(styleWaived, s) }
func (t Theme) Forced(s string) string  { return t.apply(styleForced, s) }
func (t Theme) Failed(s string) string  { return t.apply(styleFailed, s) }
func (t Theme) Heading(s string) string { return t.apply(styleHeading, s) }
func (t Theme) Role(s string) string    { return t.apply(styleRole, s) }
func (t Theme) Muted(s string) string   { return t.apply(styleMuted, s) }

// StateMark is the symbol and style for an item state.
func (t Theme) StateMark(state string) string {
	switch state {
	case "done":
		return t.Done("✓")
	case "waived":
		return t.Waived("~")
	case "pending":
		return t.Pending("○")
	case "blocked":
		return t.Blocked("·")
	case "forced":
		return t.Forced("!")
	case "failed":
		return t.Failed("✗")
	}
	return state
}

// State renders a state word in its style.
func (t Theme) State(state string) string {
	switch state {
	case "done", "released", "passed", "pass":
		return t.Done(state)
	case "waived":
		return t.Waived(state)
	case "pending", "in-progress":
		return t.Pending(state)
	case "blocked", "aborted":
		return t.Blocked(state)
	case "incident", "rolled-back", "failed", "fail":
		return t.Failed(state)
	}
	return state
}

// pipeOut is where rows on a pipe are written: w itself when it is
// buffered already (iostreams buffers stdout on a pipe), else a buffer over
// it. End with pipeDone.
func pipeOut(w io.Writer) *bufio.Writer { return bufio.NewWriterSize(w, 4096) }

// pipeDone flushes bw if pipeOut made it for w, and reports the first
// write to fail (bufio keeps it).
func pipeDone(bw *bufio.Writer, w io.Writer) error {
	if bw != w {
		return bw.Flush()
	}
	_, err := bw.Write(nil)
	return err
}

// width is the number of columns c takes on a terminal: counted here when
// it is printable ASCII and the Theme's SGR sequences (most cells, and the
// words of a cell being wrapped), else lipgloss's measure.
func width(c string) int {
	n := 0
	for i := 0; i < len(c); {
		switch b := c[i]; {
		case b >= ' ' && b <= '~':
			n++
			i++
		case b == 0x1b && sgrLen(c[i:]) > 0:
			i += sgrLen(c[i:])
		default:
			return lipgloss.Width(c)
		}
	}
	return n
}

// Time renders a moment: relative on a terminal, RFC 3339 on a pipe.
func Time(t, now time.Time, tty bool) string {
	if t.IsZero() {
		return ""
	}
	if !tty {
		return t.UTC().Format(time.RFC3339)
	}
	return Ago(now.Sub(t))
}

// writeTime writes Time(t, now, tty) to w. On a pipe it appends the RFC
// 3339 form in place: a renderer writing thousands of times makes no string
// for each.
func writeTime(w textWriter, t, now time.Time, tty bool) {
	if tty || t.IsZero() {
		w.WriteString(Time(t, now, tty))
		return
	}
	if bw, ok := w.(*bufio.Writer); ok { // rows on a pipe (pipeOut)
		bw.Write(t.UTC().AppendFormat(bw.AvailableBuffer(), time.RFC3339))
		return
	}
	w.WriteString(t.UTC().Format(time.RFC3339))
}

// Ago renders a duration as "just now", "5m ago", "3h ago", "2d ago".
func Ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd ago", int(d.Hours()/24))
	}
}

// Progress renders "3/7" with a small bar on a terminal.
func (t Theme) Progress(done, total int, tty bool) string {
	s := fmt.Sprintf("%d/%d", done, total)
	if !tty || total == 0 {
		return s
	}
	const width = 10
	filled := done * width / total
	return t.Done(strings.Repeat("█", filled)) + t.Muted(strings.Repeat("░", width-filled)) + " " + s
}
