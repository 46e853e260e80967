package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/gofrs/flock"
	"github.com/rogpeppe/go-internal/testscript"
)

// ciCmds are the script commands of the gate, check, incident and notes
// scripts.
var ciCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"flock": cmdFlock,
	"gone":  cmdGone,
	"junit": cmdJUnit,
}

// cmdFlock runs `flock FILE`: this test process (not octorelease) takes the
// exclusive lock on FILE, as a writer would, and holds it until the script
// ends.
func cmdFlock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: flock FILE")
	}
	fl := flock.New(ts.MkAbs(args[0]))
	ok, err := fl.TryLock()
	ts.Check(err)
	if !ok {
		ts.Fatalf("flock: %s is already locked", args[0])
	}
	ts.Defer(func() { _ = fl.Unlock() })
}

// cmdGone runs `gone PIDFILE`: the process whose pid PIDFILE holds is no
// longer running. A zombie counts as gone: it runs nothing, and in a
// container nobody may ever reap an orphan.
func cmdGone(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: gone PIDFILE")
	}
	pid, err := strconv.Atoi(strings.TrimSpace(ts.ReadFile(args[0])))
	ts.Check(err)
	if pid <= 1 {
		ts.Fatalf("gone: bad pid %d", pid)
	}
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return // exited between the two looks
	}
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && len(stat) > i+2 {
		if st := stat[i+2]; st == 'Z' || st == 'X' {
			return
		}
	}
	ts.Fatalf("process %d is still running: %s", pid, stat)
}

// junitReport is what CI reporters read of a JUnit file, parsed
// independently of the writer's types.
type junitReport struct {
	XMLName xml.Name `xml:"testsuites"`
	Suites  []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Cases    []struct {
			Name    string    `xml:"name,attr"`
			Failure *struct{} `xml:"failure"`
			Skipped *struct{} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// cmdJUnit runs `junit FILE TESTS FAILURES SKIPPED`: FILE parses as JUnit
// XML with one suite whose counts, both the attributes and the test cases
// themselves, are the ones given.
func cmdJUnit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: junit FILE TESTS FAILURES SKIPPED")
	}
	var want [3]int
	for i, a := range args[1:] {
		n, err := strconv.Atoi(a)
		ts.Check(err)
		want[i] = n
	}
	var r junitReport
	if err := xml.Unmarshal([]byte(ts.ReadFile(args[0])), &r); err != nil {
		ts.Fatalf("junit: %s does not parse: %v", args[0], err)
	}
	if len(r.Suites) != 1 {
		ts.Fatalf("junit: %d testsuites, want 1", len(r.Suites))
	}
	s := r.Suites[0]
	var failed, skipped int
	for _, c := range s.Cases {
		if c.Failure != nil {
			failed++
		}
		if c.Skipped != nil {
			skipped++
		}
	}
	got := [3]int{len(s.Cases), failed, skipped}
	attrs := [3]int{s.Tests, s.Failures, s.Skipped}
	if got != want || attrs != want {
		ts.Fatalf("junit %s: cases tests/failures/skipped %v, attributes %v, want %v", s.Name, got, attrs, want)
	}
	ts.Logf("junit %s: %d tests, %d failures, %d skipped", s.Name, want[0], want[1], want[2])
}
