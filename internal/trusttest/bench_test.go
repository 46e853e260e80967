package trusttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Whole-process benchmarks of what signatures cost (docs/performance.md:
// a signed gate within 1.5x of an unsigned one). Both fixtures are the
// default minor release with every item of both phases signed by its
// members, built once: one with signatures required (each event signed
// through ssh-keygen), one without.
//
//	go test -run '^$' -bench . ./internal/trusttest/

var (
	fixturesMu sync.Mutex
	fixtures   = map[bool]*repo{}
)

// fullRelease is the fixture, signed or not, for benchmark b.
func fullRelease(b *testing.B, signed bool) *repo {
	b.Helper()
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	r, ok := fixtures[signed]
	if !ok {
		root := filepath.Join(workDir, map[bool]string{true: "signed", false: "unsigned"}[signed])
		r = newRepoIn(b, root, repoOpts{signed: signed})
		r.play(preRelease, nil)
		r.play(deploy, nil)
		r.ci().want(0, "gate")
		fixtures[signed] = r
	}
	c := *r
	c.t = b
	return &c
}

func benchGate(b *testing.B, signed bool) {
	ci := fullRelease(b, signed).ci()
	for b.Loop() {
		ci.want(0, "gate")
	}
	b.ReportMetric(float64(len(ci.r.events(relID))), "events")
}

// BenchmarkGateSigned: `gate` of the signed release, every signature
// verified in the process against allowed_signers.
func BenchmarkGateSigned(b *testing.B) { benchGate(b, true) }

// BenchmarkGateUnsigned: `gate` of the same release recorded without
// signatures.
func BenchmarkGateUnsigned(b *testing.B) { benchGate(b, false) }

// BenchmarkVerifyPerEventSSHKeygen: one `ssh-keygen -Y verify` per event
// of the signed release, the way git verifies a commit.
func BenchmarkVerifyPerEventSSHKeygen(b *testing.B) {
	r := fullRelease(b, true)
	allowed := r.path(".octorelease/allowed_signers")
	dir := b.TempDir()
	type job struct{ msg, sig, principal, at string }
	var jobs []job
	for name, e := range r.events(relID) {
		msg, err := e.Canonical()
		if err != nil {
			b.Fatal(err)
		}
		j := job{filepath.Join(dir, name+".msg"), filepath.Join(dir, name+".sig"), e.Actor, e.At.UTC().Format("20060102150405") + "Z"}
		writeFile(b, j.msg, string(msg))
		writeFile(b, j.sig, e.Signature)
		jobs = append(jobs, j)
	}
	defer func() { b.ReportMetric(float64(len(jobs)), "events") }()
	for b.Loop() {
		for _, j := range jobs {
			in, err := os.Open(j.msg)
			if err != nil {
				b.Fatal(err)
			}
			cmd := exec.Command("ssh-keygen", "-Y", "verify", "-f", allowed, "-I", j.principal, "-n", "octorelease",
				"-s", j.sig, "-Overify-time="+j.at)
			cmd.Stdin = in
			out, err := cmd.CombinedOutput()
			in.Close()
			if err != nil {
				b.Fatalf("ssh-keygen -Y verify: %v\n%s", err, out)
			}
		}
	}
}

// BenchmarkVerifyInProcess: the same events verified by one `audit
// verify` process.
func BenchmarkVerifyInProcess(b *testing.B) {
	ci := fullRelease(b, true).ci()
	for b.Loop() {
		ci.want(0, "audit", "verify")
	}
	b.ReportMetric(float64(len(ci.r.events(relID))), "events")
}
