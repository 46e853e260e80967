package ui

import (
	"io"
	"slices"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Table lays out rows: aligned columns for a terminal, fitted to its width,
// and tab-separated plain rows for a pipe (SPEC §10).
//
// lipgloss's table package is not used: it draws borders, pads every cell
// (trailing blanks) and widens a table to the exact width it is given,
// while these tables are borderless, as narrow as their content and
// rendered for thousands of rows.
type Table struct {
	TTY bool
	// Width is the terminal's width in columns. On a terminal, a table
	// wider than that has its widest cells wrapped inside their columns;
	// 0 means no limit.
	Width int
	rows  [][]string
}

// Row adds a row of (possibly styled) cells. Cells are guarded as they
// are written: a control character or an escape sequence other than the
// Theme's styling is escaped (see Clean), so a cell cannot start a row.
func (t *Table) Row(cells ...string) { t.rows = append(t.rows, cells) }

// Len is the number of rows.
func (t *Table) Len() int { return len(t.rows) }

// gap is the blank between two columns on a terminal.
const gap = 2

// minColumn is the narrowest a column is squeezed to (unless its content is
// narrower): below that a wrapped cell is a word per line.
const minColumn = 8

// Render writes the table with the given indent (terminal only).
func (t *Table) Render(w io.Writer, indent string) error {
	if !t.TTY {
		// Cell by cell: a joined line per row would be one more copy of
		// every row.
		bw := pipeOut(w)
		for _, r := range t.rows {
			for i, c := range r {
				if i > 0 {
					bw.WriteString("\t")
				}
				bw.WriteString(cleanCell(c))
			}
			bw.WriteString("\n")
		}
		return pipeDone(bw, w)
	}
	var widths []int                         // per column
	rows, copied := t.rows, false            // rows with guarded cells
	cellWidths := make([][]int, len(t.rows)) // per cell: measuring styled text is not cheap
	for ri, r := range t.rows {
		cellWidths[ri] = make([]int, len(r))
		for i, c := range r {
			if g := cleanCell(c); g != c {
				if !copied { // copy on the first change: the caller's cells stay
					rows, copied = slices.Clone(t.rows), true
				}
				rows[ri] = slices.Clone(rows[ri])
				rows[ri][i], c = g, g
			}
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			cellWidths[ri][i] = width(c)
			widths[i] = max(widths[i], cellWidths[ri][i])
		}
	}
	limits := widths
	if t.Width > 0 {
		used := len(widths) // trailing columns empty in every row take no room
		for used > 0 && widths[used-1] == 0 {
			used--
		}
		limits = fitColumns(widths, t.Width-width(indent)-gap*max(used-1, 0))
	}
	var b strings.Builder
	for ri, r := range rows {
		fits := true
		for i, cw := range cellWidths[ri] {
			fits = fits && cw <= limits[i]
		}
		if fits {
			writeLine(&b, indent, r, cellWidths[ri], limits)
			continue
		}
		writeWrapped(&b, indent, r, cellWidths[ri], limits)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeLine writes one line of cells, each padded to its column but the
// last that is not empty: no trailing blanks.
func writeLine(b *strings.Builder, indent string, cells []string, cellWidths, limits []int) {
	last := len(cells) - 1
	for last >= 0 && cells[last] == "" {
		last--
	}
	b.WriteString(indent)
	for i := 0; i <= last; i++ {
		b.WriteString(cells[i])
		if i < last {
			b.WriteString(strings.Repeat(" ", limits[i]-cellWidths[i]+gap))
		}
	}
	b.WriteString("\n")
}

// writeWrapped writes a row whose cells are wrapped inside their columns:
// as many lines as its tallest cell.
func writeWrapped(b *strings.Builder, indent string, cells []string, cellWidths, limits []int) {
	lines := make([][]string, len(cells))
	height := 1
	for i, c := range cells {
		if cellWidths[i] <= limits[i] {
			lines[i] = []string{c}
			continue
		}
		lines[i] = wrapCell(c, limits[i])
		height = max(height, len(lines[i]))
	}
	line := make([]string, len(cells))
	lineWidths := make([]int, len(cells))
	for l := range height {
		for i := range cells {
			line[i], lineWidths[i] = "", 0
			if l < len(lines[i]) {
				line[i] = lines[i][l]
				lineWidths[i] = width(line[i])
			}
		}
		writeLine(b, indent, line, lineWidths, limits)
	}
}

// wrapCell wraps a (possibly styled) cell to limit columns: at spaces (a
// one-column word, a state mark, stays with the next); a word longer than
// the column after a hyphen (ids), else anywhere. Styles carry over to
// each line.
func wrapCell(c string, limit int) []string {
	var lines []string
	var line strings.Builder
	lineWidth := 0
	words := strings.Split(c, " ") // an SGR sequence has no space
	for i := 0; i < len(words); i++ {
		word := words[i]
		if width(word) == 1 && i+1 < len(words) { // a state mark stays with its id
			i++
			word += " " + words[i]
		}
		w := width(word)
		if lineWidth > 0 && lineWidth+1+w > limit {
			lines = append(lines, line.String())
			line.Reset()
			lineWidth = 0
		}
		if w > limit { // x/ansi breaks it, at a hyphen where it can
			parts := strings.Split(ansi.Wrap(word, limit, ""), "\n")
			lines = append(lines, parts[:len(parts)-1]...)
			word = parts[len(parts)-1]
			w = width(word)
		}
		if lineWidth > 0 || line.Len() > 0 {
			line.WriteString(" ")
			lineWidth++
		}
		line.WriteString(word)
		lineWidth += w
	}
	lines = append(lines, line.String())
	if strings.Contains(c, "\x1b") {
		// lipgloss ends each line's styles and opens them again on the next.
		lines = strings.Split(lipgloss.Wrap(strings.Join(lines, "\n"), limit, ""), "\n")
	}
	for i, l := range lines {
		l = strings.TrimRight(l, " ")
		if width(l) > limit { // a character wider than the column
			l = ansi.Truncate(l, limit, "")
		}
		lines[i] = l
	}
	return lines
}

// fitColumns shares avail columns among columns as wide as widths. The
// first column (ids, which are read whole) keeps its width while it takes
// no more than a third of the room and the others can give way; of the
// others, the narrow keep theirs and the widest share the rest equally,
// down to minColumn. Otherwise the first column gives way too.
func fitColumns(widths []int, avail int) []int {
	total := 0
	for _, w := range widths {
		total += w
	}
	if total <= avail || len(widths) == 0 {
		return widths
	}
	out := slices.Clone(widths)
	if len(widths) > 1 && widths[0] <= avail/3 {
		if capColumns(out[1:], widths[1:], avail-widths[0]) {
			return out
		}
		copy(out, widths)
	}
	capColumns(out, widths, avail)
	return out
}

// capColumns sets out to widths capped at the level at which they sum to
// avail (each at least minColumn, or its width if narrower), and reports
// whether they then fit.
func capColumns(out, widths []int, avail int) bool {
	order := make([]int, len(widths))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return widths[a] - widths[b] })
	left := avail
	for k, i := range order {
		n := len(order) - k
		share := left / n
		if widths[i] <= share {
			left -= widths[i]
			continue
		}
		// Every column from here on is wider than its share: cap them,
		// the remainder going to the widest.
		extra := left - share*n
		for j, c := range order[k:] {
			w := share
			if j >= n-extra {
				w++
			}
			out[c] = max(w, min(minColumn, widths[c]))
		}
		return share >= minColumn
	}
	return true
}

// fitLine wraps a line that is not a table row (a heading, a summary) to
// width columns on a terminal; width 0 leaves it as it is.
func fitLine(s string, width int) string {
	if width <= 0 || lipgloss.Width(s) <= width {
		return s
	}
	return strings.Join(wrapCell(s, width), "\n")
}

// ProgressLine is the text that redraws a progress line in place on a
// terminal width columns wide: a carriage return, s cleaned (see Clean: a
// check command from a file may span lines) and truncated to width-1
// columns, so the terminal never wraps it and the carriage return stays on
// its line, then an erase to the end of the line for what a longer draw
// left. Write it to stderr, and end the progress with "\r\x1b[K".
func ProgressLine(width int, s string) string {
	s = Clean(s)
	if width > 1 && ansi.StringWidth(s) > width-1 {
		s = ansi.Truncate(s, width-1, "…")
	}
	return "\r" + s + "\x1b[K"
}
