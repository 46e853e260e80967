package signing

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
)

var (
	msg = []byte(`{"kind":"sign","actor":"alice@example.com","item":"qa-signoff","role":"qa"}`)
	// at is the instant every cross-check verifies at, unless a case says.
	at = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
)

func TestSignerAgentAndKeygen(t *testing.T) {
	needTool(t, "ssh-keygen")
	dir := t.TempDir()
	sock := startAgent(t)
	keys := map[string]string{
		"ed25519": genKey(t, dir, "alice_ed25519", "ed25519"),
		"rsa":     genKey(t, dir, "alice_rsa", "rsa"),
		"ecdsa":   genKey(t, dir, "alice_ecdsa", "ecdsa"),
	}
	for _, k := range keys {
		sshAdd(t, sock, k)
	}
	notInAgent := genKey(t, dir, "carol_ed25519", "ed25519")

	for typ, key := range keys {
		for _, mode := range []string{"agent", "ssh-keygen"} {
			for _, which := range []string{"public", "private"} {
				t.Run(typ+"/"+mode+"/"+which, func(t *testing.T) {
					env := map[string]string{"HOME": dir}
					if mode == "agent" {
						env["SSH_AUTH_SOCK"] = sock
					}
					path := key
					if which == "public" {
						path += ".pub"
					}
					s, err := NewSigner(dir, path, envFunc(env))
					if err != nil {
						t.Fatal(err)
					}
					switch s.(type) {
					case *agentSigner:
						if mode != "agent" {
							t.Fatalf("signs through the agent, want %s", mode)
						}
					case *keygenSigner:
						if mode != "ssh-keygen" {
							t.Fatalf("signs with ssh-keygen, want %s", mode)
						}
					}
					sig, err := s.Sign(msg)
					if err != nil {
						t.Fatal(err)
					}
					checkBothVerify(t, dir, key+".pub", sig)
					if typ == "rsa" {
						parsed, err := sshsig.Unarmor([]byte(sig))
						if err != nil {
							t.Fatal(err)
						}
						if parsed.Signature.Format != ssh.KeyAlgoRSASHA512 {
							t.Errorf("RSA signature algorithm %q, want %q", parsed.Signature.Format, ssh.KeyAlgoRSASHA512)
						}
					}
				})
			}
		}
	}

	t.Run("agent without the key falls back to ssh-keygen", func(t *testing.T) {
		s, err := NewSigner(dir, notInAgent+".pub", envFunc(map[string]string{"SSH_AUTH_SOCK": sock}))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := s.(*keygenSigner); !ok {
			t.Fatalf("%T, want the ssh-keygen signer", s)
		}
		sig, err := s.Sign(msg)
		if err != nil {
			t.Fatal(err)
		}
		checkBothVerify(t, dir, notInAgent+".pub", sig)
	})

	t.Run("literal keys through the agent", func(t *testing.T) {
		lit := pubText(t, keys["ed25519"]+".pub")
		for _, spec := range []string{"key::" + lit, lit, "key::" + lit + " a comment"} {
			s, err := NewSigner(dir, spec, envFunc(map[string]string{"SSH_AUTH_SOCK": sock}))
			if err != nil {
				t.Fatalf("%q: %v", spec, err)
			}
			if _, ok := s.(*agentSigner); !ok {
				t.Fatalf("%q: %T, want the agent signer", spec, s)
			}
			sig, err := s.Sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			checkBothVerify(t, dir, keys["ed25519"]+".pub", sig)
		}
		// Without an agent holding it, a literal key cannot sign.
		_, err := NewSigner(dir, "key::"+pubText(t, notInAgent+".pub"), envFunc(map[string]string{"SSH_AUTH_SOCK": sock}))
		if !errors.Is(err, ErrKeyUnavailable) {
			t.Fatalf("literal key not in the agent: %v, want ErrKeyUnavailable", err)
		}
	})

	ca := genKey(t, dir, "ca", "ed25519")
	for _, typ := range []string{"ed25519", "rsa"} {
		t.Run(typ+" certificate through the agent and ssh-keygen", func(t *testing.T) {
			testCertSigner(t, dir, sock, ca, typ)
		})
	}
}

func testCertSigner(t *testing.T, dir, sock, ca, typ string) {
	user := genKey(t, dir, "dave_"+typ, typ)
	run(t, baseEnv(), nil, "ssh-keygen", "-q", "-s", ca, "-I", "dave-cert", "-n", "dave@example.com", "-V", "-1d:+1d", user+".pub")
	sshAdd(t, sock, user) // adds dave-cert.pub too
	allowed := "*@example.com cert-authority " + pubText(t, ca+".pub") + "\n"
	for _, mode := range []string{"agent", "ssh-keygen"} {
		env := map[string]string{}
		if mode == "agent" {
			env["SSH_AUTH_SOCK"] = sock
		}
		s, err := NewSigner(dir, user+"-cert.pub", envFunc(env))
		if err != nil {
			t.Fatal(err)
		}
		if _, isAgent := s.(*agentSigner); isAgent != (mode == "agent") {
			t.Fatalf("%s: %T", mode, s)
		}
		if _, ok := s.PublicKey().(*ssh.Certificate); !ok {
			t.Fatalf("%s: public key %T, want a certificate", mode, s.PublicKey())
		}
		sig, err := s.Sign(msg)
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		now := time.Now()
		if ok, out := keygenVerify(t, t.TempDir(), allowed, "dave@example.com", Namespace, msg, sig, now); !ok {
			t.Errorf("%s: ssh-keygen -Y verify refuses: %s", mode, out)
		}
		a := mustParse(t, allowed)
		v, err := a.Verify(msg, sig, "dave@example.com", now)
		if err != nil {
			t.Fatalf("%s: Verify: %v", mode, err)
		}
		if v.CAFingerprint == "" || v.Fingerprint != ssh.FingerprintSHA256(s.PublicKey().(*ssh.Certificate).Key) {
			t.Errorf("%s: %+v", mode, v)
		}
		if typ == "rsa" {
			if parsed, _ := sshsig.Unarmor([]byte(sig)); parsed.Signature.Format != ssh.KeyAlgoRSASHA512 {
				t.Errorf("%s: RSA certificate signature algorithm %q", mode, parsed.Signature.Format)
			}
		}
	}
}

// checkBothVerify checks a signature with the real ssh-keygen -Y verify and
// with Verify.
func checkBothVerify(t *testing.T, dir, pubPath, sig string) {
	t.Helper()
	allowed := "alice@example.com " + pubText(t, pubPath) + "\n"
	if ok, out := keygenVerify(t, t.TempDir(), allowed, "alice@example.com", Namespace, msg, sig, at); !ok {
		t.Errorf("ssh-keygen -Y verify refuses our signature: %s", out)
	}
	a := mustParse(t, allowed)
	v, err := a.Verify(msg, sig, "alice@example.com", at)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	pub, _, _, _, _ := ssh.ParseAuthorizedKey([]byte(allowed[len("alice@example.com "):]))
	if v.Fingerprint != ssh.FingerprintSHA256(pub) || v.Principal != "alice@example.com" || v.Source != "allowed_signers:1" {
		t.Errorf("Verified = %+v", v)
	}
}

func mustParse(t testing.TB, allowed string) *AllowedSigners {
	t.Helper()
	a, err := ParseAllowedSigners("allowed_signers", []byte(allowed))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestNewSignerConfig(t *testing.T) {
	needTool(t, "ssh-keygen")
	git := needTool(t, "git")
	home := t.TempDir()
	repo := filepath.Join(home, "repo")
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	key := genKey(t, filepath.Join(home, ".ssh"), "id_ed25519", "ed25519")
	env := map[string]string{"HOME": home, "GIT_CONFIG_NOSYSTEM": "1", "XDG_CONFIG_HOME": filepath.Join(home, ".config")}
	genv := baseEnv("HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "XDG_CONFIG_HOME="+env["XDG_CONFIG_HOME"])
	gitc := func(args ...string) { run(t, genv, nil, git, append([]string{"-C", repo}, args...)...) }
	run(t, genv, nil, git, "init", "-q", repo)

	if _, err := NewSigner(repo, "", envFunc(env)); !errors.Is(err, ErrNoKey) {
		t.Fatalf("nothing configured: %v, want ErrNoKey", err)
	}
	gitc("config", "user.signingkey", "~/.ssh/id_ed25519.pub")
	if _, err := NewSigner(repo, "", envFunc(env)); !errors.Is(err, ErrNoKey) {
		t.Fatalf("signingkey without gpg.format=ssh: %v, want ErrNoKey", err)
	}
	gitc("config", "gpg.format", "openpgp")
	if _, err := NewSigner(repo, "", envFunc(env)); !errors.Is(err, ErrNoKey) {
		t.Fatalf("gpg.format=openpgp: %v, want ErrNoKey", err)
	}
	gitc("config", "gpg.format", "ssh")
	s, err := NewSigner(repo, "", envFunc(env))
	if err != nil {
		t.Fatal(err)
	}
	if want := pubText(t, key+".pub"); pubTextOf(s.PublicKey()) != want {
		t.Fatalf("key %s, want %s", pubTextOf(s.PublicKey()), want)
	}
	sig, err := s.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	checkBothVerify(t, t.TempDir(), key+".pub", sig)

	// signing.key beats git's; relative paths are relative to dir.
	other := genKey(t, repo, "other", "ed25519")
	s, err = NewSigner(repo, "other", envFunc(env))
	if err != nil {
		t.Fatal(err)
	}
	if pubTextOf(s.PublicKey()) != pubText(t, other+".pub") {
		t.Fatal("signing.key did not win over user.signingkey")
	}

	// An encrypted private key: its public half is known without the
	// passphrase (signing would ask for it on the terminal).
	enc := filepath.Join(home, "enc")
	run(t, baseEnv(), nil, "ssh-keygen", "-q", "-t", "ed25519", "-N", "secret passphrase", "-f", enc)
	os.Remove(enc + ".pub")
	s, err = NewSigner(repo, enc, envFunc(env))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*keygenSigner); !ok {
		t.Fatalf("%T", s)
	}

	for _, bad := range []string{filepath.Join(home, "missing.pub"), "key::ssh-ed25519 notbase64", filepath.Join(home, "repo", ".git", "HEAD")} {
		if _, err := NewSigner(repo, bad, envFunc(env)); !errors.Is(err, ErrKeyUnavailable) {
			t.Errorf("%q: %v, want ErrKeyUnavailable", bad, err)
		}
	}
	// A public key whose private half is absent, and no agent.
	pubOnly := filepath.Join(home, "lonely.pub")
	if err := os.WriteFile(pubOnly, []byte(pubText(t, key+".pub")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewSigner(repo, pubOnly, envFunc(env)); !errors.Is(err, ErrKeyUnavailable) || !strings.Contains(err.Error(), "ssh-add") {
		t.Errorf("public key without private key or agent: %v", err)
	}
}

func pubTextOf(k ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}

// crossFixture holds keys and signatures made by the real OpenSSH tools
// and by this package's Signer.
type crossFixture struct {
	alice, aliceRSA, bob, ca, ca2 string // "type base64" public keys
	sigAgent                      string // alice ed25519, our Signer through ssh-agent
	sigRSA                        string // alice rsa, our Signer through ssh-keygen
	sigKeygen                     string // alice ed25519, ssh-keygen -Y sign
	sigSHA256                     string // alice ed25519, ssh-keygen -Y sign -O hashalg=sha256
	sigBob                        string // bob, ssh-keygen -Y sign
	sigOtherNS                    string // alice ed25519, namespace "other"
	sigGitNS                      string // alice ed25519, namespace "git"
	sigCert                       string // alice's certificate by ca, principal alice@example.com, 2026
	sigCertCA2                    string // alice's certificate by ca2
	sigCertNoPrincipals           string // certificate by ca without principals
	sigHostCert                   string // host certificate by ca
	sigCertCritical               string // certificate by ca with critical options
	sigCertForged                 string // sigCert's certificate with a principal added after the CA signed it
}

func newCrossFixture(t *testing.T) *crossFixture {
	needTool(t, "ssh-keygen")
	dir := t.TempDir()
	f := &crossFixture{}
	aliceKey := genKey(t, dir, "alice", "ed25519")
	aliceRSA := genKey(t, dir, "alice_rsa", "rsa")
	bobKey := genKey(t, dir, "bob", "ed25519")
	caKey := genKey(t, dir, "ca", "ed25519")
	ca2Key := genKey(t, dir, "ca2", "ed25519")
	f.alice, f.aliceRSA, f.bob = pubText(t, aliceKey+".pub"), pubText(t, aliceRSA+".pub"), pubText(t, bobKey+".pub")
	f.ca, f.ca2 = pubText(t, caKey+".pub"), pubText(t, ca2Key+".pub")

	sock := startAgent(t)
	sshAdd(t, sock, aliceKey)
	s, err := NewSigner(dir, aliceKey+".pub", envFunc(map[string]string{"SSH_AUTH_SOCK": sock}))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*agentSigner); !ok {
		t.Fatalf("%T, want the agent signer", s)
	}
	if f.sigAgent, err = s.Sign(msg); err != nil {
		t.Fatal(err)
	}
	s, err = NewSigner(dir, aliceRSA, envFunc(nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*keygenSigner); !ok {
		t.Fatalf("%T, want the ssh-keygen signer", s)
	}
	if f.sigRSA, err = s.Sign(msg); err != nil {
		t.Fatal(err)
	}
	f.sigKeygen = keygenSign(t, aliceKey, Namespace, msg)
	f.sigSHA256 = keygenSign(t, aliceKey, Namespace, msg, "-Ohashalg=sha256")
	f.sigBob = keygenSign(t, bobKey, Namespace, msg)
	f.sigOtherNS = keygenSign(t, aliceKey, "other", msg)
	f.sigGitNS = keygenSign(t, aliceKey, "git", msg)

	cert := func(name, ca string, args ...string) string {
		key := genKey(t, dir, name, "ed25519")
		run(t, baseEnv(), nil, "ssh-keygen", append([]string{"-q", "-s", ca, "-I", name}, append(args, key+".pub")...)...)
		return keygenSign(t, key+"-cert.pub", Namespace, msg)
	}
	year := "-V20260101000000Z:20270101000000Z"
	f.sigCert = cert("alice_cert", caKey, "-n", "alice@example.com,alice", year)
	f.sigCertCA2 = cert("alice_cert2", ca2Key, "-n", "alice@example.com", year)
	f.sigCertNoPrincipals = cert("alice_cert3", caKey, year)
	f.sigHostCert = cert("host_cert", caKey, "-h", "-n", "alice@example.com", year)
	f.sigCertCritical = cert("alice_cert4", caKey, "-n", "alice@example.com", year, "-Oforce-command=/bin/true", "-Osource-address=192.0.2.0/24")
	f.sigCertForged = forgeCert(t, filepath.Join(dir, "alice_cert"), "mallory@example.com")
	return f
}

// forgeCert signs msg with key's certificate after adding principal to it:
// the CA's signature no longer covers the certificate.
func forgeCert(t *testing.T, key, principal string) string {
	t.Helper()
	priv, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	cert, ok := mustKey(t, pubText(t, key+"-cert.pub")).(*ssh.Certificate)
	if !ok {
		t.Fatal("not a certificate")
	}
	forged := *cert
	forged.ValidPrincipals = append(append([]string(nil), cert.ValidPrincipals...), principal)
	cs, err := ssh.NewCertSigner(&forged, signer)
	if err != nil {
		t.Fatal(err)
	}
	return testSign(t, cs, Namespace, msg)
}

// TestCrossCheck checks Verify against the real `ssh-keygen -Y verify`, case
// by case: both must give the same verdict at the same instant.
func TestCrossCheck(t *testing.T) {
	f := newCrossFixture(t)
	edited := append([]byte(nil), msg...)
	edited[len(edited)-2] = 'X'
	truncated := f.sigKeygen[:len(f.sigKeygen)/2] + "\n-----END SSH SIGNATURE-----\n"
	sec := time.Second
	cases := []struct {
		name      string
		allowed   string
		principal string
		sig       string
		msg       []byte
		at        time.Time
		want      error // nil: verifies
	}{
		{name: "valid ed25519 signed via agent", allowed: "alice@example.com " + f.alice, sig: f.sigAgent},
		{name: "valid rsa signed via ssh-keygen fallback", allowed: "alice@example.com " + f.aliceRSA, sig: f.sigRSA},
		{name: "valid, signed by ssh-keygen -Y sign", allowed: "alice@example.com " + f.alice, sig: f.sigKeygen},
		{name: "valid, sha256 message hash", allowed: "alice@example.com " + f.alice, sig: f.sigSHA256},
		{name: "edited message", allowed: "alice@example.com " + f.alice, sig: f.sigAgent, msg: edited, want: ErrBadSignature},
		{name: "truncated signature", allowed: "alice@example.com " + f.alice, sig: truncated, want: ErrMalformed},
		{name: "wrong key (signer not listed)", allowed: "alice@example.com " + f.alice, sig: f.sigBob, want: ErrKeyNotListed},
		{name: "wrong principal", allowed: "alice@example.com " + f.alice + "\nbob@example.com " + f.bob, principal: "bob@example.com", sig: f.sigAgent, want: ErrPrincipalMismatch},
		{name: "principal is case-sensitive", allowed: "alice@example.com " + f.alice, principal: "Alice@example.com", sig: f.sigAgent, want: ErrPrincipalMismatch},
		{name: "wrong namespace (other)", allowed: "alice@example.com " + f.alice, sig: f.sigOtherNS, want: ErrWrongNamespace},
		{name: "git's namespace", allowed: "alice@example.com " + f.alice, sig: f.sigGitNS, want: ErrWrongNamespace},
		{name: "expired (valid-before in the past)", allowed: `alice@example.com valid-before="20260101Z" ` + f.alice, sig: f.sigAgent, want: ErrExpired},
		{name: "valid-before is inclusive", allowed: `alice@example.com valid-before="20260615120000Z" ` + f.alice, sig: f.sigAgent},
		{name: "one second after valid-before", allowed: `alice@example.com valid-before="20260615120000Z" ` + f.alice, sig: f.sigAgent, at: at.Add(sec), want: ErrExpired},
		{name: "not yet valid (valid-after)", allowed: `alice@example.com valid-after="20270101Z" ` + f.alice, sig: f.sigAgent, want: ErrNotYetValid},
		{name: "valid-after is inclusive", allowed: `alice@example.com valid-after="202606151200Z" ` + f.alice, sig: f.sigAgent},
		{name: "one second before valid-after", allowed: `alice@example.com valid-after="20260615120000UTC" ` + f.alice, sig: f.sigAgent, at: at.Add(-sec), want: ErrNotYetValid},
		{name: "validity window covers at", allowed: `alice@example.com valid-after="20260101Z",valid-before="20270101Z" ` + f.alice, sig: f.sigAgent},
		{name: `namespaces="git" only`, allowed: `alice@example.com namespaces="git" ` + f.alice, sig: f.sigAgent, want: ErrNamespaceNotAllowed},
		{name: `namespaces="git,octorelease"`, allowed: `alice@example.com namespaces="git,octorelease" ` + f.alice, sig: f.sigAgent},
		{name: `namespaces="octo*"`, allowed: `alice@example.com namespaces="octo*" ` + f.alice, sig: f.sigAgent},
		{name: `namespaces="!octorelease,*"`, allowed: `alice@example.com namespaces="!octorelease,*" ` + f.alice, sig: f.sigAgent, want: ErrNamespaceNotAllowed},
		{name: "option names ignore case", allowed: `alice@example.com NAMESPACES="octorelease",Valid-Before="20300101Z" ` + f.alice, sig: f.sigAgent},
		{name: "pattern *@example.com", allowed: "*@example.com " + f.alice, sig: f.sigAgent},
		{name: "pattern ?lice@example.com", allowed: "?lice@example.com " + f.alice, sig: f.sigAgent},
		{name: "pattern *@example.org", allowed: "*@example.org " + f.alice, sig: f.sigAgent, want: ErrPrincipalMismatch},
		{name: "negation excludes mallory", allowed: "!mallory@example.com,*@example.com " + f.bob, principal: "mallory@example.com", sig: f.sigBob, want: ErrPrincipalMismatch},
		{name: "negation lets others in", allowed: "!mallory@example.com,*@example.com " + f.bob, principal: "bob@example.com", sig: f.sigBob},
		{name: "negation order does not matter", allowed: "*@example.com,!mallory@example.com " + f.bob, principal: "mallory@example.com", sig: f.sigBob, want: ErrPrincipalMismatch},
		{name: "principal list", allowed: "carol,alice@example.com,dave " + f.alice, sig: f.sigAgent},
		{name: "quoted principal with a space", allowed: `"alice smith@example.com" ` + f.alice, principal: "alice smith@example.com", sig: f.sigAgent},
		{name: "comments, blank lines, trailing comment", allowed: "# team\n\n   # indented\nalice@example.com " + f.alice + " alice@laptop\n", sig: f.sigAgent},
		{name: "CRLF line endings", allowed: "# team\r\nalice@example.com " + f.alice + "\r\n", sig: f.sigAgent},
		{name: "expired line, then a valid line", allowed: `alice@example.com valid-before="20200101Z" ` + f.alice + "\nalice@example.com " + f.alice, sig: f.sigAgent},
		{name: "key listed for others only", allowed: "bob@example.com " + f.alice + "\nalice@example.com " + f.bob, sig: f.sigAgent, want: ErrPrincipalMismatch},
		{name: "plain key under cert-authority", allowed: "alice@example.com cert-authority " + f.alice, sig: f.sigAgent, want: ErrKeyNotListed},

		{name: "certificate by a listed CA", allowed: "*@example.com cert-authority " + f.ca, sig: f.sigCert},
		{name: "certificate, principal pattern on CA line", allowed: "alice@example.com cert-authority " + f.ca, sig: f.sigCert},
		{name: "certificate, principal not in the certificate", allowed: "*@example.com cert-authority " + f.ca, principal: "bob@example.com", sig: f.sigCert, want: ErrCertificate},
		{name: "certificate, principal in the certificate but not on the line", allowed: "*@example.com cert-authority " + f.ca, principal: "alice", sig: f.sigCert, want: ErrPrincipalMismatch},
		{name: "certificate expired", allowed: "*@example.com cert-authority " + f.ca, sig: f.sigCert, at: time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC), want: ErrCertificate},
		{name: "certificate not yet valid", allowed: "*@example.com cert-authority " + f.ca, sig: f.sigCert, at: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), want: ErrCertificate},
		{name: "certificate by an unlisted CA", allowed: "*@example.com cert-authority " + f.ca, sig: f.sigCertCA2, want: ErrKeyNotListed},
		{name: "certificate, CA listed without cert-authority", allowed: "*@example.com " + f.ca, sig: f.sigCert, want: ErrKeyNotListed},
		{name: "certificate without principals", allowed: "*@example.com cert-authority " + f.ca, sig: f.sigCertNoPrincipals, want: ErrCertificate},
		{name: "host certificate", allowed: "*@example.com cert-authority " + f.ca, sig: f.sigHostCert, want: ErrCertificate},
		{name: `cert-authority with namespaces="git"`, allowed: `*@example.com cert-authority,namespaces="git" ` + f.ca, sig: f.sigCert, want: ErrNamespaceNotAllowed},
		{name: "certificate with critical options", allowed: "*@example.com cert-authority " + f.ca, sig: f.sigCertCritical},
		{name: "forged certificate (principal added), forged principal", allowed: "*@example.com cert-authority " + f.ca, principal: "mallory@example.com", sig: f.sigCertForged, want: ErrCertificate},
		{name: "forged certificate (principal added), real principal", allowed: "*@example.com cert-authority " + f.ca, sig: f.sigCertForged, want: ErrCertificate},
		{name: "cert-authority line expired", allowed: `*@example.com valid-before="20260301Z",cert-authority ` + f.ca, sig: f.sigCert, want: ErrExpired},
	}
	var matrix strings.Builder
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.principal == "" {
				c.principal = "alice@example.com"
			}
			if c.msg == nil {
				c.msg = msg
			}
			if c.at.IsZero() {
				c.at = at
			}
			kgOK, kgOut := keygenVerify(t, t.TempDir(), c.allowed+"\n", c.principal, Namespace, c.msg, c.sig, c.at)
			a, err := ParseAllowedSigners("allowed_signers", []byte(c.allowed+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			v, err := a.Verify(c.msg, c.sig, c.principal, c.at)
			ours := "ok"
			if err != nil {
				ours = "refused"
			}
			kg := map[bool]string{true: "ok", false: "refused"}[kgOK]
			fmt.Fprintf(&matrix, "  %-62s ssh-keygen=%-7s Verify=%-7s %v\n", c.name, kg, ours, errOr(err))
			if (err == nil) != kgOK {
				t.Fatalf("verdicts differ: ssh-keygen %s (%s), Verify %s (%v)", kg, kgOut, ours, err)
			}
			if c.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v, want success", err)
				}
				if v.Principal != c.principal || !strings.HasPrefix(v.Fingerprint, "SHA256:") || v.Source == "" {
					t.Errorf("Verified = %+v", v)
				}
				if !strings.Contains(kgOut, v.Fingerprint) {
					t.Errorf("fingerprint %s not in ssh-keygen's %q", v.Fingerprint, kgOut)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("Verify: %v, want %v", err, c.want)
			}
		})
	}
	t.Logf("cross-check matrix (same instant for both):\n%s", matrix.String())
}

func errOr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestParseAllowedSignersErrors(t *testing.T) {
	const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
	if _, err := ParseAllowedSigners("x", []byte("a@b "+key+"\n")); err != nil {
		t.Fatalf("good line: %v", err)
	}
	cases := []struct{ text, want string }{
		{"a@b", "missing key"},
		{"a@b \n", "missing key"},
		{`"a@b ` + key, "unterminated quote"},
		{`a"b ` + key, "quote inside principals"},
		{`"a@b"x ` + key, "after quoted principals"},
		{`"" ` + key, "empty principals"},
		{"a@b ssh-ed25519 AAAA", "invalid key"},
		{"a@b ssh-ed25519", "invalid key"},
		{"a@b cert-authority", "missing key"},
		{"a@b frobnicate " + key, "unknown key option"},
		{"a@b cert-authority,frobnicate " + key, "unknown key option"},
		{"a@b cert-authority, " + key, "unexpected end of options"},
		{`a@b namespaces=git ` + key, "missing start quote"},
		{`a@b namespaces="git ` + key, "unterminated quote"},
		{`a@b namespaces="git",namespaces="file" ` + key, "multiple"},
		{`a@b valid-after="2024" ` + key, "valid-after"},
		{`a@b valid-after="20241301" ` + key, "out of range"},
		{`a@b valid-after="19700101Z" ` + key, "before 1970"},
		{`a@b valid-after="20250101",valid-before="20240101" ` + key, "not after"},
		{`a@b valid-before="20250101Z",valid-before="20260101Z" ` + key, "multiple"},
		{"a@b ssh-rsa " + key[len("ssh-ed25519 "):], "does not match"},
		{"a@b " + key + "\x00", "NUL"},
	}
	for _, c := range cases {
		text := "# comment\n\n" + c.text + "\n"
		_, err := ParseAllowedSigners("team/allowed_signers", []byte(text))
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != 3 || !strings.HasPrefix(err.Error(), "team/allowed_signers:3: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want team/allowed_signers:3: ...%s...", c.text, err, c.want)
		}
	}
}

func TestSignatureKey(t *testing.T) {
	f := newCrossFixture(t)
	k, err := SignatureKey(f.sigBob)
	if err != nil {
		t.Fatal(err)
	}
	if pubTextOf(k) != f.bob {
		t.Fatalf("SignatureKey = %s, want %s", pubTextOf(k), f.bob)
	}
	k, err = SignatureKey(f.sigCert)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := k.(*ssh.Certificate); !ok {
		t.Fatalf("%T, want a certificate", k)
	}
	if _, err := SignatureKey("not a signature"); !errors.Is(err, ErrMalformed) {
		t.Fatalf("%v, want ErrMalformed", err)
	}
	// A failure after the signature checked out still names the key.
	a := mustParse(t, "alice@example.com "+f.alice)
	v, err := a.Verify(msg, f.sigBob, "alice@example.com", at)
	if !errors.Is(err, ErrKeyNotListed) || v.Fingerprint != Fingerprint(mustKey(t, f.bob)) {
		t.Fatalf("%+v %v", v, err)
	}
	var nilSigners *AllowedSigners
	if _, err := nilSigners.Verify(msg, f.sigBob, "bob", at); !errors.Is(err, ErrKeyNotListed) {
		t.Fatalf("nil AllowedSigners: %v", err)
	}
}

func mustKey(t testing.TB, text string) ssh.PublicKey {
	t.Helper()
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// matchPatternRef is OpenSSH's recursive match_pattern, transcribed.
func matchPatternRef(s, p string) bool {
	for {
		if p == "" {
			return s == ""
		}
		if p[0] == '*' {
			for p != "" && p[0] == '*' {
				p = p[1:]
			}
			if p == "" {
				return true
			}
			if p[0] != '?' && p[0] != '*' {
				for ; s != ""; s = s[1:] {
					if s[0] == p[0] && matchPatternRef(s[1:], p[1:]) {
						return true
					}
				}
				return false
			}
			for ; s != ""; s = s[1:] {
				if matchPatternRef(s, p) {
					return true
				}
			}
			return false
		}
		if s == "" {
			return false
		}
		if p[0] != '?' && p[0] != s[0] {
			return false
		}
		s, p = s[1:], p[1:]
	}
}

func TestMatchPatternList(t *testing.T) {
	cases := []struct {
		s, list string
		want    int
	}{
		{"alice@example.com", "alice@example.com", 1},
		{"alice@example.com", "*@example.com", 1},
		{"alice@example.com", "*", 1},
		{"alice@example.com", "", 0},
		{"alice@example.com", "bob,carol", 0},
		{"mallory@example.com", "!mallory@example.com,*@example.com", -1},
		{"mallory@example.com", "*@example.com,!mallory@example.com", -1},
		{"alice@example.com", "!mallory@example.com,*@example.com", 1},
		{"alice@example.com", "!mallory@example.com", 0},
		{"a", "?", 1},
		{"ab", "?", 0},
		{"", ",a", 1},
		{"", "!", -1},
		{"alice", "a*e", 1},
		{"alice", "a*?e", 1},
		{"ae", "a*?e", 0},
		{"alice", strings.Repeat("x", 1023) + ",alice", 0}, // OpenSSH's subpattern limit
		{"alice", "alice," + strings.Repeat("*", 1022), 1},
	}
	for _, c := range cases {
		if got := matchPatternList(c.s, c.list); got != c.want {
			t.Errorf("matchPatternList(%q, %q) = %d, want %d", c.s, c.list, got, c.want)
		}
	}
}

// TestLocalTimesLikeSSHKeygen checks that valid-after times without a Z
// mean, in a few time zones and in and out of daylight saving time, the
// instant they mean to ssh-keygen running with the same TZ.
func TestLocalTimesLikeSSHKeygen(t *testing.T) {
	needTool(t, "ssh-keygen")
	dir := t.TempDir()
	key := genKey(t, dir, "alice", "ed25519")
	sig := keygenSign(t, key, Namespace, msg)
	for _, zone := range []string{"UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Logf("skipping %s: %v", zone, err)
			continue
		}
		for _, local := range []string{"20260115", "202601151230", "20260715", "20260715123045", "20261025023000", "20260329023000"} {
			va, err := parseAbsoluteTimeIn(local, loc)
			if err != nil {
				t.Fatal(err)
			}
			allowed := `alice@example.com valid-after="` + local + `" ` + pubText(t, key+".pub") + "\n"
			env := baseEnv("TZ=" + zone)
			// The instant ssh-keygen reads is va if it accepts at va and
			// refuses one second before.
			okAt, _ := keygenVerifyEnv(t, env, t.TempDir(), allowed, "alice@example.com", Namespace, msg, sig, time.Unix(va, 0))
			okBefore, _ := keygenVerifyEnv(t, env, t.TempDir(), allowed, "alice@example.com", Namespace, msg, sig, time.Unix(va-1, 0))
			if !okAt || okBefore {
				t.Errorf("TZ=%s valid-after=%q: we read %s; ssh-keygen accepts at it: %v, a second before: %v",
					zone, local, time.Unix(va, 0).UTC().Format(time.RFC3339), okAt, okBefore)
			}
		}
	}
}
