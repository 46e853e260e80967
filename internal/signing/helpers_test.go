package signing

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// needTool returns the path of a program the test needs, or skips.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (%v): the SSH interoperability tests need OpenSSH's %s", name, err, name)
	}
	return p
}

// baseEnv is the test process's environment without an ssh-agent, so no
// test ever talks to the developer's own agent.
func baseEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SSH_AUTH_SOCK=") && !strings.HasPrefix(kv, "SSH_AGENT_PID=") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// envFunc is an env for NewSigner from a map (unset keys read "").
func envFunc(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// run runs a program and fails the test if it fails.
func run(t testing.TB, env []string, stdin []byte, name string, args ...string) string {
	t.Helper()
	out, err := runErr(env, stdin, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func runErr(env []string, stdin []byte, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.String(), err
}

// genKey makes a key pair with ssh-keygen and returns the private key's path.
func genKey(t testing.TB, dir, name, typ string, extra ...string) string {
	t.Helper()
	needTool(t, "ssh-keygen")
	path := filepath.Join(dir, name)
	args := []string{"-q", "-t", typ, "-N", "", "-C", name, "-f", path}
	if typ == "rsa" {
		args = append(args, "-b", "2048")
	}
	run(t, baseEnv(), nil, "ssh-keygen", append(args, extra...)...)
	return path
}

// pubText is the "type base64" of a public key file, without its comment.
func pubText(t testing.TB, pubPath string) string {
	t.Helper()
	data, err := os.ReadFile(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		t.Fatalf("%s: not a public key: %q", pubPath, data)
	}
	return f[0] + " " + f[1]
}

// startAgent starts a real ssh-agent on a fresh socket; it is killed when
// the test ends.
func startAgent(t testing.TB) string {
	t.Helper()
	agentPath := needTool(t, "ssh-agent")
	needTool(t, "ssh-add")
	// A short path: a unix socket's path is limited to ~108 bytes.
	dir, err := os.MkdirTemp("", "oa")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "s")
	cmd := exec.Command(agentPath, "-D", "-a", sock)
	cmd.Env = baseEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("ssh-agent: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, err := os.Stat(sock); err == nil {
			return sock
		}
		select {
		case <-done:
			t.Fatalf("ssh-agent exited: %s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("ssh-agent did not create %s: %s", sock, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sshAdd adds a private key (and its -cert.pub, as ssh-add does) to the agent.
func sshAdd(t testing.TB, sock, key string) {
	t.Helper()
	run(t, baseEnv("SSH_AUTH_SOCK="+sock), nil, "ssh-add", key)
}

// keygenTime is at as ssh-keygen's -Overify-time wants it.
func keygenTime(at time.Time) string { return at.UTC().Format("20060102150405") + "Z" }

// keygenVerify runs the real `ssh-keygen -Y verify` at the instant at and
// reports its verdict.
func keygenVerify(t testing.TB, dir, allowed, principal, namespace string, msg []byte, sig string, at time.Time) (bool, string) {
	t.Helper()
	return keygenVerifyEnv(t, baseEnv(), dir, allowed, principal, namespace, msg, sig, at)
}

func keygenVerifyEnv(t testing.TB, env []string, dir, allowed, principal, namespace string, msg []byte, sig string, at time.Time) (bool, string) {
	t.Helper()
	af := filepath.Join(dir, "allowed_signers")
	sf := filepath.Join(dir, "sig")
	if err := os.WriteFile(af, []byte(allowed), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sf, []byte(sig), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runErr(env, msg, "ssh-keygen", "-Y", "verify", "-f", af, "-I", principal, "-n", namespace,
		"-s", sf, "-Overify-time="+keygenTime(at))
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("ssh-keygen -Y verify: %v", err)
		}
		return false, strings.TrimSpace(out)
	}
	return true, strings.TrimSpace(out)
}

// keygenSign signs msg with the real `ssh-keygen -Y sign`, with no agent.
func keygenSign(t testing.TB, key, namespace string, msg []byte, extra ...string) string {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "msg")
	if err := os.WriteFile(file, msg, 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-Y", "sign", "-n", namespace, "-f", key}, extra...)
	run(t, baseEnv(), nil, "ssh-keygen", append(args, file)...)
	sig, err := os.ReadFile(file + ".sig")
	if err != nil {
		t.Fatal(err)
	}
	return string(sig)
}
