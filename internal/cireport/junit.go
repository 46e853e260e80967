package cireport

import (
	"fmt"
	"io"
	"strings"

	"github.com/octorelease/octorelease/internal/release"
)

// The JUnit elements used here are the common subset that Jenkins (JUnit
// plugin), GitLab and the GitHub test-report actions all read. The document
// is written by hand rather than with encoding/xml: that package's init
// (entity tables) would run on every start of every command, and the shape
// here is fixed and small.

// JUnit writes g as a JUnit XML report: one test case per item in scope, a
// failure for each blocked item (type: the blocker's reason) and a skip for
// each waived one. Gates do not time anything, so every time is 0.
func JUnit(w io.Writer, releaseID string, g release.GateResult) error {
	var cases strings.Builder
	tests, failures, skipped := 0, 0, 0
	blockers := blockersByItem(g.Blockers)
	for _, it := range itemsWithBlockers(g) {
		tests++
		cases.WriteString("    <testcase")
		attr(&cases, "classname", releaseID+"."+it.Phase)
		attr(&cases, "name", it.ID+": "+it.Title)
		attr(&cases, "time", "0")
		cases.WriteString(">")
		switch bs := blockers[it.ID]; {
		case len(bs) > 0:
			failures++
			cases.WriteString("\n      <failure")
			attr(&cases, "message", describe(bs))
			attr(&cases, "type", bs[0].Reason)
			cases.WriteString(">")
			escapeXML(&cases, failureBody(it, bs), false)
			cases.WriteString("</failure>\n    ")
		case it.State == release.StateWaived:
			skipped++
			cases.WriteString("\n      <skipped")
			attr(&cases, "message", "waived: "+waiverReason(it))
			cases.WriteString("></skipped>\n    ")
		}
		cases.WriteString("</testcase>\n")
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<testsuites")
	attr(&b, "name", "octorelease gate")
	fmt.Fprintf(&b, ` tests="%d" failures="%d" errors="0" time="0">`+"\n  <testsuite", tests, failures)
	attr(&b, "name", suiteName(releaseID, g))
	fmt.Fprintf(&b, ` tests="%d" failures="%d" errors="0" skipped="%d" time="0">`+"\n", tests, failures, skipped)
	b.WriteString(cases.String())
	b.WriteString("  </testsuite>\n</testsuites>\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	return nil
}

// attr writes ` name="value"` with value escaped.
func attr(b *strings.Builder, name, value string) {
	b.WriteString(" " + name + `="`)
	escapeXML(b, value, true)
	b.WriteString(`"`)
}

// escapeXML writes s as XML character data (or, inAttr, an attribute value,
// where line breaks and tabs are written as references so that attribute
// normalisation keeps them). Characters XML 1.0 cannot carry (most control
// characters, lone surrogates, invalid UTF-8) become U+FFFD, as encoding/xml
// does.
func escapeXML(b *strings.Builder, s string, inAttr bool) {
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"' && inAttr:
			b.WriteString("&#34;")
		case r == '\'' && inAttr:
			b.WriteString("&#39;")
		case r == '\n' && inAttr:
			b.WriteString("&#xA;")
		case r == '\r':
			b.WriteString("&#xD;")
		case r == '\t' && inAttr:
			b.WriteString("&#x9;")
		case r == '\n', r == '\t':
			b.WriteRune(r)
		case !xmlChar(r):
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
}

// xmlChar reports whether r is in XML 1.0's Char production. A range over
// a string yields U+FFFD for invalid UTF-8, which is allowed.
func xmlChar(r rune) bool {
	return r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// failureBody is the failure's text: what is missing, and for a failed check
// its exit and the last lines of its output.
func failureBody(it release.ItemView, bs []release.Blocker) string {
	var b strings.Builder
	var roles []string
	for _, x := range bs {
		roles = appendNew(roles, x.PendingRoles...)
	}
	fmt.Fprintf(&b, "title: %s\n", it.Title)
	if len(roles) > 0 {
		fmt.Fprintf(&b, "pending roles: %s\n", strings.Join(roles, ", "))
	}
	if c := it.LatestCheck; c != nil && !c.Passed {
		fmt.Fprintf(&b, "check: %s\nexit code: %d", c.Command, c.ExitCode)
		if c.TimedOut {
			b.WriteString(" (timed out)")
		}
		fmt.Fprintf(&b, "\nran by %s at %s\n", c.By, c.At.UTC().Format("2006-01-02T15:04:05Z07:00"))
		if c.OutputTail != "" {
			fmt.Fprintf(&b, "output (last lines):\n%s", c.OutputTail)
		}
	}
	return b.String()
}
