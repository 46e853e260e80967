package trusttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSignedPreRelease: the right members sign the whole pre-release phase,
// qa through a real ssh-agent holding a key whose private half is nowhere
// on disk, the others through ssh-keygen. The gate passes, audit verify is
// intact and names each event's signer and key fingerprint as ssh-keygen
// prints it, status marks every sign-off signed and verified, and every
// signature also verifies with `ssh-keygen -Y verify` (what git would run).
func TestSignedPreRelease(t *testing.T) {
	t.Parallel()
	r := newRepo(t, repoOpts{signed: true})

	// qa's key lives only in the agent: signing.key names a public key
	// with no private key next to it, so only the agent can sign.
	sock := startAgent(t, r.env)
	sshAdd(t, r.env, sock, privKey("qa"))
	agentPub := filepath.Join(r.root, "agent-only", "qa.pub")
	writeFile(t, agentPub, readFile(t, pubKey("qa")))
	qaAgent := r.as("qa").with("SSH_AUTH_SOCK="+sock, "OCTORELEASE_SIGNING_KEY="+agentPub)
	// Without the agent that key cannot sign: nothing is recorded.
	if res := r.as("qa").with("OCTORELEASE_SIGNING_KEY="+agentPub).run("sign", "qa-signoff"); res.Code == 0 {
		t.Fatalf("signing with a public key and no agent must fail: %s", res)
	}

	r.play(preRelease, func(name string) *actor {
		if name == "qa" {
			return qaAgent
		}
		return r.as(name)
	})

	ci := r.ci()
	ci.want(0, "gate", "--phase", "pre-release")
	if g, _ := ci.gate("--phase", "pre-release"); !g.Passed || len(g.Blockers) != 0 {
		t.Fatalf("gate: %+v", g)
	}
	ci.want(3, "gate") // the deployment phase is open

	st := ci.status()
	for _, p := range st.Phases {
		if p.ID != "pre-release" {
			continue
		}
		for _, it := range p.Items {
			if it.State != "done" {
				t.Errorf("%s is %s", it.ID, it.State)
			}
			for _, s := range it.Signoffs {
				if !s.Signed || !s.Verified || !s.Counted || s.Conflict != "" {
					t.Errorf("%s by %s: signed=%v verified=%v counted=%v conflict=%q", it.ID, s.By, s.Signed, s.Verified, s.Counted, s.Conflict)
				}
			}
		}
	}

	docs, res := ci.audit()
	if res.Code != 0 || len(docs) != 1 || !docs[0].Intact {
		t.Fatalf("audit verify: %s", res)
	}
	events := r.events(relID)
	if docs[0].Events != len(events) || len(docs[0].Signers) != len(events) {
		t.Fatalf("audit verify reports %d events and %d signers; the folder holds %d", docs[0].Events, len(docs[0].Signers), len(events))
	}
	byEmail := map[string]string{}
	for _, p := range people {
		byEmail[p.email] = p.name
	}
	for _, s := range docs[0].Signers {
		fp := fingerprint(t, byEmail[s.Actor])
		if !s.Signed || !s.Verified || s.Fingerprint != fp || !strings.Contains(s.Detail, "signed by "+s.Actor+" with "+fp) {
			t.Errorf("audit signer of %s: %+v; want signed by %s with %s", s.Event, s, s.Actor, fp)
		}
		if _, ok := events[s.Event]; !ok {
			t.Errorf("audit names %s, which is not an event file", s.Event)
		}
	}
	// The text output names each event file with its signer and key.
	text := ci.ok("audit", "verify").Stdout
	for name, e := range events {
		fp := fingerprint(t, byEmail[e.Actor])
		if !strings.Contains(text, name) || !strings.Contains(text, "signed by "+e.Actor+" with "+fp) {
			t.Errorf("audit verify text does not say %s was signed by %s with %s:\n%s", name, e.Actor, fp, text)
		}
	}

	// The signatures are git's: ssh-keygen -Y verify accepts each one for
	// its actor at its time, against the same allowed_signers.
	allowed := r.path(".octorelease/allowed_signers")
	dir := t.TempDir()
	for name, e := range events {
		msg, err := e.Canonical()
		if err != nil {
			t.Fatal(err)
		}
		if err := keygenVerify(dir, allowed, e.Actor, e.At, msg, e.Signature); err != nil {
			t.Errorf("ssh-keygen -Y verify %s: %v", name, err)
		}
	}
}

// keygenVerify runs `ssh-keygen -Y verify` on one message and signature,
// as git does for a commit (with -Overify-time, the event's time).
func keygenVerify(dir, allowed, principal string, at time.Time, msg []byte, sig string) error {
	sigFile := filepath.Join(dir, "sig")
	if err := os.WriteFile(sigFile, []byte(sig), 0o600); err != nil {
		return err
	}
	msgFile, err := os.CreateTemp(dir, "msg")
	if err != nil {
		return err
	}
	defer os.Remove(msgFile.Name())
	if _, err := msgFile.Write(msg); err != nil {
		return err
	}
	if _, err := msgFile.Seek(0, 0); err != nil {
		return err
	}
	defer msgFile.Close()
	cmd := exec.Command("ssh-keygen", "-Y", "verify", "-f", allowed, "-I", principal, "-n", "octorelease",
		"-s", sigFile, "-Overify-time="+at.UTC().Format("20060102150405")+"Z")
	cmd.Stdin = msgFile
	out, err := cmd.CombinedOutput()
	if err != nil {
		return &keygenError{err, string(out)}
	}
	return nil
}

type keygenError struct {
	err error
	out string
}

func (e *keygenError) Error() string { return e.err.Error() + ": " + strings.TrimSpace(e.out) }
