package reliability

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/release"
)

// TestConcurrentSigners starts many `octorelease sign` processes on one
// release at once, each signing its own item as its own actor, while other
// processes run `status -o json` and goroutines read and decode the state
// file directly, all without a lock. Every sign-off must be recorded once,
// the chain must verify, and no read may fail or see a torn file or a serial
// going back. OCTORELEASE_STRESS_WRITERS sets the writer count (default 50).
func TestConcurrentSigners(t *testing.T) {
	writers := envInt(t, "OCTORELEASE_STRESS_WRITERS", 50)
	w := newWorkdir(t, binary(t, ""), writers)
	w.start()

	stop := make(chan struct{})
	var readers sync.WaitGroup
	var fileReads, statusReads atomic.Int64
	var versions sync.Map // serials the direct readers saw
	readErrs := make(chan error, 16)
	report := func(err error) {
		select {
		case readErrs <- err:
		default:
		}
	}
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			if err := readFileUntil(w.stateFile(), stop, &fileReads, &versions); err != nil {
				report(err)
			}
		}()
	}
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			if err := statusUntil(w, stop, &statusReads); err != nil {
				report(err)
			}
		}()
	}

	start := time.Now()
	cmds := make([]*proc, writers)
	for i := range cmds {
		cmds[i] = w.startProcess(nil, "sign", itemID(i), "--role", "qa",
			"--as", fmt.Sprint("writer-", i), "--note", fmt.Sprint("process ", i), "--lock-timeout", "5m")
	}
	var slowest time.Duration
	for i, c := range cmds {
		r := c.wait()
		slowest = max(slowest, r.dur)
		if r.code != 0 {
			t.Errorf("writer %d: %s", i, r)
		}
	}
	elapsed := time.Since(start)
	// Keep reading a little after the last write, then stop the readers.
	time.Sleep(50 * time.Millisecond)
	close(stop)
	readers.Wait()
	close(readErrs)
	for err := range readErrs {
		t.Error(err)
	}

	r, _ := w.load()
	got := signers(r)
	for i := range writers {
		if a := got[itemID(i)]; len(a) != 1 || a[0] != fmt.Sprint("writer-", i) {
			t.Errorf("%s signed by %v, want [writer-%d]", itemID(i), a, i)
		}
	}
	if len(r.Events) != 1+writers || r.Serial != int64(1+writers) {
		t.Errorf("%d events, serial %d; want %d of each", len(r.Events), r.Serial, 1+writers)
	}
	if a := w.run("audit", "verify"); a.code != 0 {
		t.Errorf("audit verify: %s", a)
	}
	if tmp := w.tempFiles(); tmp != nil {
		t.Errorf("temp files left: %v", tmp)
	}
	// The readers must really have overlapped the writers: they saw
	// versions between the first and the last.
	seen := 0
	versions.Range(func(k, _ any) bool {
		if s := k.(int64); s > 1 && s < int64(1+writers) {
			seen++
		}
		return true
	})
	if seen < min(5, writers/4) {
		t.Errorf("direct readers saw only %d intermediate versions of %d: they did not overlap the writers", seen, writers-1)
	}
	figure(t, "concurrent sign processes", writers)
	figure(t, "concurrent writers wall time", elapsed.Round(time.Millisecond))
	figure(t, "slowest writer (incl. lock wait)", slowest.Round(time.Millisecond))
	figure(t, "lock-free direct reads during the run, all whole", fileReads.Load())
	figure(t, "intermediate versions the direct readers saw", fmt.Sprintf("%d of %d", seen, writers-1))
	figure(t, "lock-free status -o json processes, all whole", statusReads.Load())
}

// readFileUntil reads the state file in a loop, as a reader that takes no
// lock does. Every read must be a whole JSON document whose serial and
// event count never go back; every 8th is also decoded strictly by
// release.Decode and every 64th fully verified (the full checks cost more
// CPU than the writers being watched, and would starve them on 2 cores).
// It returns the number of different serials seen.
func readFileUntil(path string, stop <-chan struct{}, n *atomic.Int64, versions *sync.Map) error {
	var lastSerial int64
	lastEvents := 0
	for i := 0; ; i++ {
		select {
		case <-stop:
			return nil
		default:
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("direct read %d: %v", i, err)
		}
		var probe struct {
			Format int   `json:"format"`
			Serial int64 `json:"serial"`
			Events []struct {
				Seq  int    `json:"seq"`
				Hash string `json:"hash"`
			} `json:"events"`
		}
		if err := json.Unmarshal(data, &probe); err != nil || probe.Format != release.FormatVersion ||
			len(probe.Events) == 0 || probe.Events[len(probe.Events)-1].Seq != len(probe.Events) {
			return fmt.Errorf("direct read %d: torn or unparsable file (%v):\n%s", i, err, clip(string(data), 3000))
		}
		if i%8 == 0 {
			if _, err := release.Decode(data); err != nil {
				return fmt.Errorf("direct read %d: does not decode: %v", i, err)
			}
		}
		if i%64 == 0 {
			if p := release.VerifyBytes(data); p != nil {
				return fmt.Errorf("direct read %d: file does not verify: %v", i, p)
			}
		}
		if probe.Serial < lastSerial || len(probe.Events) < lastEvents {
			return fmt.Errorf("direct read %d: went back from serial %d (%d events) to %d (%d)",
				i, lastSerial, lastEvents, probe.Serial, len(probe.Events))
		}
		lastSerial, lastEvents = probe.Serial, len(probe.Events)
		versions.Store(probe.Serial, true)
		n.Add(1)
	}
}

// statusUntil runs `status -o json` processes in a loop; each must succeed
// with whole JSON whose sign-off count never goes back.
func statusUntil(w *workdir, stop <-chan struct{}, n *atomic.Int64) error {
	last := 0
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		r := w.startProcess(nil, "status", "-o", "json").wait()
		if r.code != 0 {
			return fmt.Errorf("status read %d: %s", n.Load(), r)
		}
		var v struct {
			Phases []struct {
				Items []struct {
					Signoffs []json.RawMessage `json:"signoffs"`
				} `json:"items"`
			} `json:"phases"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
			return fmt.Errorf("status read %d: %v", n.Load(), err)
		}
		count := 0
		for _, p := range v.Phases {
			for _, it := range p.Items {
				count += len(it.Signoffs)
			}
		}
		if count < last {
			return fmt.Errorf("status read %d: sign-offs went back from %d to %d", n.Load(), last, count)
		}
		last = count
		n.Add(1)
	}
}

// proc is a started octorelease process.
type proc struct {
	cmd   *exec.Cmd
	args  []string
	out   *bytes.Buffer
	errb  *bytes.Buffer
	start time.Time
}

// startProcess starts octorelease without waiting for it. Safe to call from
// several goroutines.
func (w *workdir) startProcess(extraEnv []string, args ...string) *proc {
	cmd := w.command(extraEnv, args...)
	p := &proc{cmd: cmd, args: args, out: new(bytes.Buffer), errb: new(bytes.Buffer)}
	cmd.Stdout, cmd.Stderr = p.out, p.errb
	p.start = time.Now()
	if err := cmd.Start(); err != nil {
		panic(fmt.Sprintf("start octorelease: %v", err)) // fork failing is not a test result
	}
	return p
}

func (p *proc) wait() result {
	err := p.cmd.Wait()
	r := result{args: p.args, stdout: p.out.String(), stderr: p.errb.String(), dur: time.Since(p.start)}
	r.code, r.signaled = waitStatus(err)
	r.pid = p.cmd.Process.Pid
	return r
}
