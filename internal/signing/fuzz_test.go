package signing

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
)

// testKey is a fixed ed25519 key, so fuzz seeds and benchmarks need no
// ssh-keygen.
func testKey(tb testing.TB, seed byte) ssh.Signer {
	tb.Helper()
	s, err := ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize)))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func testSign(tb testing.TB, s ssh.Signer, namespace string, message []byte) string {
	tb.Helper()
	sig, err := sshsig.Sign(bytes.NewReader(message), s, sshsig.HashSHA512, namespace)
	if err != nil {
		tb.Fatal(err)
	}
	return string(sshsig.Armor(sig))
}

func authorized(k ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}

var lineRE = regexp.MustCompile(`^fuzz:([0-9]+): `)

func FuzzParseAllowedSigners(f *testing.F) {
	key := authorized(testKey(f, 1).PublicKey())
	for _, s := range []string{
		"",
		"# comment\n\n",
		"alice@example.com " + key + "\n",
		"alice@example.com " + key + " comment\n",
		"*@example.com,!mallory@example.com " + key,
		`"alice smith@example.com" ` + key,
		`a@b cert-authority,namespaces="git,octorelease",valid-after="20240101",valid-before="20300101Z" ` + key,
		`a@b namespaces="a\"b" ` + key,
		`a@b valid-after="202401010000UTC" ` + key,
		"a@b\r\n" + key,
		"a@b ssh-ed25519 AAAA\n",
		`a@b namespaces="unterminated ` + key,
		"\"\n\"",
		"a@b ,,cert-authority " + key,
	} {
		f.Add([]byte(s))
	}
	sig := testSign(f, testKey(f, 1), Namespace, []byte("m"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseAllowedSigners("fuzz", data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *ParseError", err, err)
			}
			m := lineRE.FindStringSubmatch(err.Error())
			if m == nil {
				t.Fatalf("error without file:line: %q", err)
			}
			if n, _ := strconv.Atoi(m[1]); n != pe.Line || n < 1 || n > bytes.Count(data, []byte("\n"))+1 {
				t.Fatalf("line %d out of range: %q", pe.Line, err)
			}
			return
		}
		// Whatever parsed can be used without panicking.
		for _, p := range []string{"alice@example.com", "a@b", "mallory@example.com", "x"} {
			a.Verify([]byte("m"), sig, p, time.Unix(1750000000, 0))
		}
	})
}

func FuzzVerify(f *testing.F) {
	k := testKey(f, 2)
	message := []byte("event")
	a, err := ParseAllowedSigners("allowed_signers", []byte("*@example.com "+authorized(k.PublicKey())+"\n"))
	if err != nil {
		f.Fatal(err)
	}
	good := testSign(f, k, Namespace, message)
	f.Add([]byte(good))
	f.Add([]byte(testSign(f, k, "git", message)))
	f.Add([]byte(testSign(f, testKey(f, 3), Namespace, message)))
	f.Add([]byte(strings.Replace(good, "A", "B", 1)))
	f.Add([]byte(good[:len(good)/2]))
	f.Add([]byte("-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n"))
	f.Add([]byte("-----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----\n"))
	f.Add([]byte(""))
	want := Fingerprint(k.PublicKey())
	f.Fuzz(func(t *testing.T, armored []byte) {
		v, err := a.Verify(message, string(armored), "alice@example.com", time.Unix(1750000000, 0))
		if err == nil && v.Fingerprint != want {
			t.Fatalf("verified %q with another key: %+v", armored, v)
		}
		SignatureKey(string(armored))
	})
}

// FuzzMatchPattern checks the linear-time glob against a transcription of
// OpenSSH's recursive match_pattern.
func FuzzMatchPattern(f *testing.F) {
	for _, s := range [][2]string{{"alice@example.com", "*@example.com"}, {"ab", "a*?b"}, {"aaa", "*a*a"}, {"", "*"}, {"x", ""}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, s, p string) {
		if len(s) > 64 || len(p) > 16 {
			return // the reference is exponential
		}
		if got, want := matchPattern(s, p), matchPatternRef(s, p); got != want {
			t.Fatalf("matchPattern(%q, %q) = %v, OpenSSH says %v", s, p, got, want)
		}
	})
}

// BenchmarkVerify verifies one ed25519 signature in process.
func BenchmarkVerify(b *testing.B) {
	k := testKey(b, 4)
	message := []byte(`{"kind":"sign","actor":"alice@example.com","item":"qa-signoff","role":"qa"}`)
	sig := testSign(b, k, Namespace, message)
	a, err := ParseAllowedSigners("allowed_signers", []byte("alice@example.com "+authorized(k.PublicKey())+"\n"))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Verify(message, sig, "alice@example.com", now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifySSHKeygen verifies the same signature with one
// `ssh-keygen -Y verify` process per verification, as a tool that shells
// out per event would.
func BenchmarkVerifySSHKeygen(b *testing.B) {
	needTool(b, "ssh-keygen")
	k := testKey(b, 4)
	message := []byte(`{"kind":"sign","actor":"alice@example.com","item":"qa-signoff","role":"qa"}`)
	sig := testSign(b, k, Namespace, message)
	dir := b.TempDir()
	allowed := "alice@example.com " + authorized(k.PublicKey()) + "\n"
	now := time.Now()
	if ok, out := keygenVerify(b, dir, allowed, "alice@example.com", Namespace, message, sig, now); !ok {
		b.Fatalf("ssh-keygen -Y verify: %s", out)
	}
	for b.Loop() {
		if ok, out := keygenVerify(b, dir, allowed, "alice@example.com", Namespace, message, sig, now); !ok {
			b.Fatalf("ssh-keygen -Y verify: %s", out)
		}
	}
}
