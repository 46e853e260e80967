//go:build unix

package postgres_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/store/postgres/pgtest"
	"github.com/octorelease/octorelease/internal/store/storetest"
)

// The whole-process benchmarks: the real binary, the same release in
// both backends side by side (made in the file backend, imported into the
// database), one process per operation, as CI and people run it. The
// budget (docs/postgres.md): gate and status at most twice the file
// backend's time; many concurrent signers at least its throughput.
// They skip without a test server.

const benchItems, benchSigned = 60, 40

// benchProject is a project whose release v1.0.0 has benchItems items,
// benchSigned of them signed, in the file backend and in the database.
func benchProject(b *testing.B) *project {
	b.Helper()
	if os.Getenv(pgtest.EnvDSN) == "" {
		b.Skipf("%s is not set: no PostgreSQL server to benchmark against", pgtest.EnvDSN)
	}
	p := newProject(b, binary(b, ""), benchItems)
	p.must(p.runFile("start", "1.0.0", "--type", "minor", "--no-walk"))
	for i := range benchSigned {
		p.must(p.runFile("sign", itemID(i), "--role", "qa", "--as", fmt.Sprint("qa-", i), "--note", "benchmark"))
	}
	p.must(p.run("import", ".octorelease"))
	return p
}

// runOp runs one command to its end; exit 0 and 3 (a gate not passed)
// are both answers.
func runOp(b *testing.B, cmd *exec.Cmd) {
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 3) {
		b.Fatalf("%s: %v", strings.Join(cmd.Args, " "), err)
	}
}

func benchCommand(b *testing.B, backend string, args ...string) {
	p := benchProject(b)
	b.ResetTimer()
	for b.Loop() {
		runOp(b, p.command([]string{"OCTORELEASE_BACKEND=" + backend}, args...))
	}
}

// benchRatio runs the command in both backends in turn, one of each per
// operation, and reports how many times the file backend's time the
// database's takes: interleaved, so that the machine's load weighs on
// both alike.
func benchRatio(b *testing.B, args ...string) {
	p := benchProject(b)
	var file, pg time.Duration
	for b.Loop() {
		start := time.Now()
		runOp(b, p.command([]string{"OCTORELEASE_BACKEND=file"}, args...))
		mid := time.Now()
		runOp(b, p.command([]string{"OCTORELEASE_BACKEND=postgres"}, args...))
		file, pg = file+mid.Sub(start), pg+time.Since(mid)
	}
	b.ReportMetric(float64(file.Microseconds())/float64(b.N)/1000, "file-ms/op")
	b.ReportMetric(float64(pg.Microseconds())/float64(b.N)/1000, "postgres-ms/op")
	b.ReportMetric(pg.Seconds()/file.Seconds(), "postgres/file")
}

func BenchmarkGateRatio(b *testing.B)   { benchRatio(b, "gate") }
func BenchmarkStatusRatio(b *testing.B) { benchRatio(b, "status", "-o", "json") }

func BenchmarkGateFile(b *testing.B)       { benchCommand(b, "file", "gate") }
func BenchmarkGatePostgres(b *testing.B)   { benchCommand(b, "postgres", "gate") }
func BenchmarkStatusFile(b *testing.B)     { benchCommand(b, "file", "status", "-o", "json") }
func BenchmarkStatusPostgres(b *testing.B) { benchCommand(b, "postgres", "status", "-o", "json") }

// benchSigners starts a release, then 100 `sign` processes at once, each
// signing an item of its own; one operation is the whole batch, and
// signs/s the throughput.
func benchSigners(b *testing.B, backend string) {
	const signers = 100
	if os.Getenv(pgtest.EnvDSN) == "" {
		b.Skipf("%s is not set: no PostgreSQL server to benchmark against", pgtest.EnvDSN)
	}
	p := newProject(b, binary(b, ""), signers)
	env := []string{"OCTORELEASE_BACKEND=" + backend}
	var total time.Duration
	n := 0
	for b.Loop() {
		b.StopTimer()
		id := fmt.Sprintf("1.%d.0", n)
		n++
		p.must(p.runEnv(env, "start", id, "--type", "minor", "--no-walk"))
		b.StartTimer()
		start := time.Now()
		var wg sync.WaitGroup
		for i := range signers {
			cmd := p.command(env, "sign", itemID(i), "--role", "qa", "-r", id, "--as", fmt.Sprint("s", i), "--lock-timeout", "5m")
			wg.Go(func() {
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Errorf("sign: %v\n%s", err, out)
				}
			})
		}
		wg.Wait()
		total += time.Since(start)
	}
	b.ReportMetric(float64(n*signers)/total.Seconds(), "signs/s")
}

func BenchmarkSignersFile(b *testing.B)     { benchSigners(b, "file") }
func BenchmarkSignersPostgres(b *testing.B) { benchSigners(b, "postgres") }

// benchUpdates is the stores alone, in one process: 100 goroutines at
// once, each signing an item of its own through one store value; one
// operation is the whole batch.
func benchUpdates(b *testing.B, open func(b *testing.B) store.Store) {
	const writers = 100
	s := open(b)
	n := 0
	var total time.Duration
	for b.Loop() {
		b.StopTimer()
		id := fmt.Sprintf("v1.%d.0", n)
		n++
		if err := s.Create(storetest.NewRelease(b, id, storetest.ItemsChecklist(writers))); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				if err := s.Update(id, storetest.Sign(storetest.Item(i), "qa", fmt.Sprint("qa-", i), storetest.Tick(i))); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		total += time.Since(start)
	}
	b.ReportMetric(float64(n*writers)/total.Seconds(), "updates/s")
}

func BenchmarkUpdatesFile(b *testing.B) {
	benchUpdates(b, func(b *testing.B) store.Store {
		if os.Getenv(pgtest.EnvDSN) == "" {
			b.Skipf("%s is not set: no PostgreSQL server to compare with", pgtest.EnvDSN)
		}
		return store.NewFileStore(b.TempDir(), store.Options{LockTimeout: 5 * time.Minute})
	})
}

func BenchmarkUpdatesPostgres(b *testing.B) {
	benchUpdates(b, func(b *testing.B) store.Store {
		if os.Getenv(pgtest.EnvDSN) == "" {
			b.Skipf("%s is not set: no PostgreSQL server to benchmark against", pgtest.EnvDSN)
		}
		return open(b, store.Options{LockTimeout: 5 * time.Minute})
	})
}
