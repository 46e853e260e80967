//go:build linux

package checkrun

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// waitFor is shell that waits until each file exists and is not empty.
func waitFor(files ...string) string {
	var b strings.Builder
	for _, f := range files {
		b.WriteString("while [ ! -s " + f + " ]; do sleep 0.01; done\n")
	}
	return b.String()
}

// Processes that leave the check's process group are stopped too once the
// check is over: setsid, a daemon's double fork, and a detached process
// that also cleared its environment (so only its session gives it away).
func TestRunStopsDetachedProcesses(t *testing.T) {
	pids := []string{"setsid.pid", "daemon.pid", "bare.pid", "grandchild.pid"}
	dir := t.TempDir()
	cmd := `setsid sh -c 'echo $$ > setsid.pid; exec sleep 30' &
sh -c 'setsid sh -c "sleep 30 & echo \$! > daemon.pid" &'
setsid env -i sh -c 'echo $$ > bare.pid; exec sleep 30' &
setsid sh -c 'sh -c "echo \$\$ > grandchild.pid; exec sleep 30" & wait' &
` + waitFor(pids...) + "echo ok"
	begin := time.Now()
	res := Run(context.Background(), Spec{Command: cmd, Dir: dir, Timeout: time.Minute}, nil)
	took := time.Since(begin)
	for _, f := range pids {
		if pid := pidFromFile(t, filepath.Join(dir, f)); running(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("%s: detached process %d still running after Run returned", f, pid)
		}
	}
	if !res.Passed || res.OutputTail != "ok\n" {
		t.Errorf("got %+v, want passed with output ok", res)
	}
	if took > hangGuard {
		t.Errorf("Run took %v: it waited for the detached sleeps", took)
	}
	var subreaper int32
	if _, _, errno := syscall.Syscall(syscall.SYS_PRCTL, unix.PR_GET_CHILD_SUBREAPER,
		uintptr(unsafe.Pointer(&subreaper)), 0); errno != 0 {
		t.Fatalf("prctl: %v", errno)
	}
	if subreaper != 0 {
		t.Errorf("still a child subreaper after Run returned")
	}
}

// The sweep only takes what came from the check: another child of this
// process, in its session and without the check's marker, is left alone.
func TestRunLeavesOtherChildrenAlone(t *testing.T) {
	other := exec.Command("sleep", "30")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Process.Kill(); other.Wait() })
	res := Run(context.Background(), Spec{Command: "setsid sleep 30 & sleep 0.1; echo ok"}, nil)
	if !res.Passed {
		t.Fatalf("got %+v", res)
	}
	if !running(other.Process.Pid) {
		t.Errorf("Run stopped a child of this process that was not the check's")
	}
}

// Zombies of the check's processes, now this process's children, are
// reaped rather than left until it exits.
func TestRunReapsOrphans(t *testing.T) {
	dir := t.TempDir()
	res := Run(context.Background(), Spec{
		Command: `setsid sh -c 'echo $$ > orphan.pid; exec sleep 30' & ` + waitFor("orphan.pid"),
		Dir:     dir,
	}, nil)
	if !res.Passed {
		t.Fatalf("got %+v", res)
	}
	pid := pidFromFile(t, filepath.Join(dir, "orphan.pid"))
	if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
		var ws unix.WaitStatus
		unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		t.Errorf("process %d not reaped: kill(0) = %v", pid, err)
	}
}
