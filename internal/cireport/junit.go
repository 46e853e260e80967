package cireport

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/octorelease/octorelease/internal/release"
)

// The JUnit elements and attributes written are the common subset that
// Jenkins (JUnit plugin), GitLab and the GitHub test-report actions read.

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
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	ClassName string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure"`
	Skipped   *junitSkipped `xml:"skipped"`
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
// each waived one. An item's time is the duration of its latest check (0
// when it has none); the suite's timestamp is at, when the gate ran.
func JUnit(w io.Writer, releaseID string, g release.GateResult, at time.Time) error {
	suite := junitSuite{Name: suiteName(releaseID, g), Timestamp: at.UTC().Format(time.RFC3339)}
	blockers := blockersByItem(g.Blockers)
	var totalMS int64
	for _, it := range itemsWithBlockers(g) {
		c := junitCase{ClassName: releaseID + "." + it.Phase, Name: it.ID + ": " + it.Title, Time: "0"}
		if lc := it.LatestCheck; lc != nil {
			c.Time = seconds(lc.DurationMS)
			totalMS += max(lc.DurationMS, 0)
		}
		switch bs := blockers[it.ID]; {
		case len(bs) > 0:
			suite.Failures++
			c.Failure = &junitFailure{Message: describe(bs), Type: bs[0].Reason, Body: failureBody(it, bs)}
		case it.State == release.StateWaived:
			suite.Skipped++
			c.Skipped = &junitSkipped{Message: "waived: " + waiverReason(it)}
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Tests, suite.Time = len(suite.Cases), seconds(totalMS)
	doc := junitSuites{Name: "octorelease gate", Tests: suite.Tests, Failures: suite.Failures,
		Time: suite.Time, Suites: []junitSuite{suite}}

	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encode junit report: %w", err)
	}
	b.WriteString("\n")
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	return nil
}

// seconds formats a duration in milliseconds as JUnit's time: seconds,
// with as many decimals as it needs ("0", "1.5", "0.042").
func seconds(ms int64) string {
	if ms <= 0 {
		return "0"
	}
	return strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)
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
		fmt.Fprintf(&b, "\nran by %s at %s\n", c.By, c.At.UTC().Format(time.RFC3339))
		if c.OutputTail != "" {
			fmt.Fprintf(&b, "output (last lines):\n%s", c.OutputTail)
		}
	}
	return b.String()
}
