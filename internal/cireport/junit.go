package cireport

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/octorelease/octorelease/internal/release"
)

// The JUnit elements used here are the common subset that Jenkins (JUnit
// plugin), GitLab and the GitHub test-report actions all read.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	ClassName string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// JUnit writes g as a JUnit XML report: one test case per item in scope, a
// failure for each blocked item (type: the blocker's reason) and a skip for
// each waived one. Gates do not time anything, so every time is 0.
func JUnit(w io.Writer, releaseID string, g release.GateResult) error {
	suite := junitSuite{Name: suiteName(releaseID, g), Time: "0"}
	blockers := blockersByItem(g.Blockers)
	for _, it := range itemsWithBlockers(g) {
		c := junitCase{
			ClassName: releaseID + "." + it.Phase,
			Name:      it.ID + ": " + it.Title,
			Time:      "0",
		}
		switch bs := blockers[it.ID]; {
		case len(bs) > 0:
			c.Failure = &junitFailure{Message: describe(bs), Type: bs[0].Reason, Body: failureBody(it, bs)}
			suite.Failures++
		case it.State == release.StateWaived:
			c.Skipped = &junitSkipped{Message: "waived: " + waiverReason(it)}
			suite.Skipped++
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Tests = len(suite.Cases)
	doc := junitSuites{
		Name: "octorelease gate", Tests: suite.Tests, Failures: suite.Failures,
		Time: "0", Suites: []junitSuite{suite},
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	return nil
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
