// Package signing signs and verifies octorelease events with SSH keys, in
// OpenSSH's SSHSIG format under the namespace "octorelease" (SPEC §13): the
// keys, the ssh-agent and the allowed_signers file that git uses with
// gpg.format=ssh.
//
// Signing goes through the user's ssh-agent when it holds the key (hardware
// keys included), else through one `ssh-keygen -Y sign` process per
// signature, the way git does it. Verification is done in this process,
// without spawning a program, and follows `ssh-keygen -Y verify` (OpenSSH
// 9.x): the principal patterns, cert-authority, namespaces= and
// valid-after=/valid-before= of allowed_signers apply as they do there.
package signing

import (
	"bytes"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Namespace is the SSHSIG namespace of every octorelease signature, as
// `ssh-keygen -Y sign -n octorelease` would write it. A signature made for
// another namespace (git's "git", "file", ...) never verifies here.
const Namespace = "octorelease"

// Errors. Each error returned by this package wraps one of them, so callers
// can tell the cases apart with errors.Is; the message says the details.
var (
	// ErrNoKey: no signing key is configured (neither signing.key nor
	// git's user.signingkey with gpg.format=ssh).
	ErrNoKey = errors.New("no SSH signing key configured")
	// ErrKeyUnavailable: a key is configured but cannot be used to sign:
	// the file is missing or unreadable, or only a public key is known and
	// no ssh-agent holds it.
	ErrKeyUnavailable = errors.New("SSH signing key unavailable")

	// ErrMalformed: the armored signature does not parse as SSHSIG.
	ErrMalformed = errors.New("malformed SSH signature")
	// ErrWrongNamespace: the signature was made for another namespace.
	ErrWrongNamespace = errors.New("signature namespace is not " + Namespace)
	// ErrBadSignature: the signature does not match the message and key.
	ErrBadSignature = errors.New("bad signature")
	// ErrKeyNotListed: no allowed_signers entry lists the signing key (or,
	// for a certificate, its CA with cert-authority).
	ErrKeyNotListed = errors.New("signing key not in allowed signers")
	// ErrPrincipalMismatch: the key is listed, but not for the principal.
	ErrPrincipalMismatch = errors.New("signing key not allowed for principal")
	// ErrNamespaceNotAllowed: the entry's namespaces= excludes octorelease.
	ErrNamespaceNotAllowed = errors.New("signing key not allowed for namespace " + Namespace)
	// ErrExpired: the time is after the entry's valid-before.
	ErrExpired = errors.New("signing key expired")
	// ErrNotYetValid: the time is before the entry's valid-after.
	ErrNotYetValid = errors.New("signing key not yet valid")
	// ErrCertificate: the signature was made with a certificate whose CA is
	// listed, but the certificate is not valid for the principal at the
	// time (expired, not a user certificate, principal not in it, bad CA
	// signature).
	ErrCertificate = errors.New("certificate not valid")
)

// Signer signs messages with the user's SSH key.
type Signer interface {
	// Sign returns the armored SSHSIG signature ("-----BEGIN SSH
	// SIGNATURE-----" ...) of message under Namespace, the same bytes that
	// `ssh-keygen -Y sign -n octorelease` writes.
	Sign(message []byte) (armored string, err error)
	// PublicKey is the key that signs (a certificate when the configured key
	// is one).
	PublicKey() ssh.PublicKey
}

// NewSigner finds the user's signing key and how to sign with it.
//
// keyPath is signing.key from the config. When it is empty, the key is git's
// user.signingkey, used only when git's gpg.format is "ssh" (git runs with
// -C dir). Either may be, as git allows:
//   - the path of a public key (~/.ssh/id_ed25519.pub) or certificate
//     (~/.ssh/id_ed25519-cert.pub): signs through the agent, else with the
//     private key next to it;
//   - the path of a private key (~/.ssh/id_ed25519);
//   - a literal public key, "key::ssh-ed25519 AAAA..." or "ssh-ed25519
//     AAAA...": only an agent can sign with it.
//
// "~/" is the home directory and a relative path is relative to dir.
//
// When env("SSH_AUTH_SOCK") names an agent that holds the key, Sign goes
// through the agent (RSA signs with rsa-sha2-512). Otherwise Sign runs
// `ssh-keygen -Y sign` once per message, which may ask for the key's
// passphrase on the terminal.
//
// env reads the environment (nil means os.Getenv); HOME, SSH_AUTH_SOCK and
// git's GIT_CONFIG_GLOBAL, GIT_CONFIG_SYSTEM, GIT_CONFIG_NOSYSTEM and
// XDG_CONFIG_HOME are taken from it for the programs this runs.
//
// It returns an error wrapping ErrNoKey when no key is configured and
// ErrKeyUnavailable when the configured key cannot sign.
func NewSigner(dir, keyPath string, env func(string) string) (Signer, error) {
	if env == nil {
		env = os.Getenv
	}
	spec, origin := strings.TrimSpace(keyPath), "signing.key"
	if spec == "" {
		var err error
		if spec, err = gitSigningKey(dir, env); err != nil {
			return nil, err
		}
		if spec == "" {
			return nil, ErrNoKey
		}
		origin = "git config user.signingkey"
	}
	k, err := resolveKey(dir, spec, env)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", origin, spec, err)
	}
	if sock := env("SSH_AUTH_SOCK"); sock != "" && agentHolds(sock, k.pub) {
		return &agentSigner{sock: sock, pub: k.pub}, nil
	}
	if k.signPath == "" {
		return nil, fmt.Errorf("%w: %s %q is a public key and no ssh-agent holds it (ssh-add the key, or configure the private key's path)",
			ErrKeyUnavailable, origin, spec)
	}
	keygen, err := exec.LookPath("ssh-keygen")
	if err != nil {
		return nil, fmt.Errorf("%w: no ssh-agent holds %s %q and ssh-keygen is not installed: %v", ErrKeyUnavailable, origin, spec, err)
	}
	return &keygenSigner{keygen: keygen, path: k.signPath, pub: k.pub, env: env}, nil
}

// resolvedKey is a configured key: its public half, and the file to give
// ssh-keygen -f, or "" when only an agent can sign.
type resolvedKey struct {
	pub      ssh.PublicKey
	signPath string
}

// maxKeyFile bounds what is read of a key file.
const maxKeyFile = 1 << 20

func resolveKey(dir, spec string, env func(string) string) (resolvedKey, error) {
	// git's is_literal_ssh_key: "key::" prefix, or (deprecated) "ssh-".
	if lit, ok := strings.CutPrefix(spec, "key::"); ok || strings.HasPrefix(spec, "ssh-") {
		if !ok {
			lit = spec
		}
		pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(lit))
		if err != nil {
			return resolvedKey{}, fmt.Errorf("%w: not an SSH public key: %v", ErrKeyUnavailable, err)
		}
		return resolvedKey{pub: pub}, nil
	}

	path := spec
	if rest, ok := strings.CutPrefix(path, "~/"); ok || path == "~" {
		home := env("HOME")
		if home == "" {
			return resolvedKey{}, fmt.Errorf("%w: cannot expand ~: HOME is not set", ErrKeyUnavailable)
		}
		path = filepath.Join(home, rest)
	} else if !filepath.IsAbs(path) && dir != "" {
		path = filepath.Join(dir, path)
	}
	data, err := readLimited(path)
	if err != nil {
		return resolvedKey{}, fmt.Errorf("%w: %v", ErrKeyUnavailable, err)
	}

	// A public key or certificate: the private key is next to it, as
	// ssh-keygen -Y sign finds it (id.pub -> id, id-cert.pub -> id).
	if pub, _, _, _, err := ssh.ParseAuthorizedKey(data); err == nil {
		priv := strings.TrimSuffix(path, ".pub")
		if _, isCert := pub.(*ssh.Certificate); isCert {
			priv = strings.TrimSuffix(path, "-cert.pub")
		}
		if priv == path || !isFile(priv) {
			return resolvedKey{pub: pub}, nil // agent only
		}
		return resolvedKey{pub: pub, signPath: path}, nil
	}

	// A private key; its public half without asking for the passphrase.
	s, err := ssh.ParsePrivateKey(data)
	if err == nil {
		return resolvedKey{pub: s.PublicKey(), signPath: path}, nil
	}
	var missing *ssh.PassphraseMissingError
	if !errors.As(err, &missing) {
		return resolvedKey{}, fmt.Errorf("%w: %s is not an SSH public or private key", ErrKeyUnavailable, path)
	}
	pub := missing.PublicKey
	if pub == nil { // legacy PEM: the public half is only in .pub
		if d, err := readLimited(path + ".pub"); err == nil {
			pub, _, _, _, _ = ssh.ParseAuthorizedKey(d)
		}
	}
	if pub == nil {
		return resolvedKey{}, fmt.Errorf("%w: %s is encrypted and has no %s.pub next to it", ErrKeyUnavailable, path, filepath.Base(path))
	}
	return resolvedKey{pub: pub, signPath: path}, nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxKeyFile)
	}
	return data, nil
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// childEnvKeys are the variables that env decides for the programs run here.
var childEnvKeys = []string{"HOME", "SSH_AUTH_SOCK", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM", "XDG_CONFIG_HOME"}

// childEnv is the process environment with childEnvKeys taken from env (an
// empty value unsets the variable).
func childEnv(env func(string) string) []string {
	out := make([]string, 0, len(os.Environ())+len(childEnvKeys))
next:
	for _, kv := range os.Environ() {
		for _, k := range childEnvKeys {
			if strings.HasPrefix(kv, k+"=") {
				continue next
			}
		}
		out = append(out, kv)
	}
	for _, k := range childEnvKeys {
		if v := env(k); v != "" {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// gitSigningKey is `git config user.signingkey` when `git config gpg.format`
// is "ssh", else "". A missing git or an unset key is not an error.
func gitSigningKey(dir string, env func(string) string) (string, error) {
	git, err := exec.LookPath("git")
	if err != nil {
		return "", nil
	}
	get := func(key string) (string, error) {
		args := []string{"config", "--get", key}
		if dir != "" {
			args = append([]string{"-C", dir}, args...)
		}
		cmd := exec.Command(git, args...)
		cmd.Env = childEnv(env)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			var exit *exec.ExitError
			if errors.As(err, &exit) && exit.ExitCode() == 1 { // unset
				return "", nil
			}
			return "", fmt.Errorf("git config %s: %v: %s", key, err, strings.TrimSpace(stderr.String()))
		}
		return strings.TrimSpace(string(out)), nil
	}
	format, err := get("gpg.format")
	if err != nil || format != "ssh" {
		return "", err
	}
	return get("user.signingkey")
}

// agentHolds reports whether the agent at sock holds pub.
func agentHolds(sock string, pub ssh.PublicKey) bool {
	conn, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	keys, err := agent.NewClient(conn).List()
	if err != nil {
		return false
	}
	want := pub.Marshal()
	for _, k := range keys {
		if bytes.Equal(k.Marshal(), want) {
			return true
		}
	}
	return false
}

// agentSigner signs through the ssh-agent at sock.
type agentSigner struct {
	sock string
	pub  ssh.PublicKey
}

func (s *agentSigner) PublicKey() ssh.PublicKey { return s.pub }

func (s *agentSigner) Sign(message []byte) (string, error) {
	conn, err := net.DialTimeout("unix", s.sock, 5*time.Second)
	if err != nil {
		return "", fmt.Errorf("ssh-agent: %w", err)
	}
	defer conn.Close()
	sig, err := sshsig.Sign(bytes.NewReader(message), agentKey{agent.NewClient(conn), s.pub}, sshsig.HashSHA512, Namespace)
	if err != nil {
		return "", fmt.Errorf("ssh-agent: sign with %s: %w", Fingerprint(s.pub), err)
	}
	armored := string(sshsig.Armor(sig))
	if err := selfCheck(message, armored, s.pub); err != nil {
		return "", fmt.Errorf("ssh-agent: %w", err)
	}
	return armored, nil
}

// agentKey is an ssh.AlgorithmSigner for one key held by an agent. An RSA
// key (or RSA certificate) always signs with rsa-sha2-512, as OpenSSH does
// for SSHSIG: an agent's default for RSA is the SHA-1 "ssh-rsa", which
// ssh-keygen -Y verify refuses.
type agentKey struct {
	ag  agent.ExtendedAgent
	pub ssh.PublicKey
}

func (k agentKey) PublicKey() ssh.PublicKey { return k.pub }

func (k agentKey) Sign(rand io.Reader, data []byte) (*ssh.Signature, error) {
	if plainType(k.pub) == ssh.KeyAlgoRSA {
		return k.SignWithAlgorithm(rand, data, ssh.KeyAlgoRSASHA512)
	}
	return k.ag.Sign(k.pub, data)
}

func (k agentKey) SignWithAlgorithm(_ io.Reader, data []byte, algorithm string) (*ssh.Signature, error) {
	var flags agent.SignatureFlags
	switch algorithm {
	case ssh.KeyAlgoRSASHA512:
		flags = agent.SignatureFlagRsaSha512
	case ssh.KeyAlgoRSASHA256:
		flags = agent.SignatureFlagRsaSha256
	case "", k.pub.Type():
	default:
		return nil, fmt.Errorf("signature algorithm %q not supported through the agent", algorithm)
	}
	return k.ag.SignWithFlags(k.pub, data, flags)
}

// keygenSigner runs `ssh-keygen -Y sign` once per message.
type keygenSigner struct {
	keygen string
	path   string
	pub    ssh.PublicKey
	env    func(string) string
}

func (s *keygenSigner) PublicKey() ssh.PublicKey { return s.pub }

// Sign writes the message to a private temporary file and runs
// `ssh-keygen -Y sign -n octorelease -f KEY FILE`, which writes FILE.sig, as
// git does. The message is not fed on standard input: with no terminal,
// ssh-keygen reads a passphrase from standard input and would consume it.
func (s *keygenSigner) Sign(message []byte) (string, error) {
	tmp, err := os.MkdirTemp("", "octorelease-sign-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	file := filepath.Join(tmp, "message")
	if err := os.WriteFile(file, message, 0o600); err != nil {
		return "", err
	}
	cmd := exec.Command(s.keygen, "-Y", "sign", "-n", Namespace, "-f", s.path, file)
	cmd.Env = childEnv(s.env)
	var stderr bytes.Buffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("ssh-keygen -Y sign -f %s: %v: %s", s.path, err, strings.TrimSpace(stderr.String()))
	}
	sig, err := os.ReadFile(file + ".sig")
	if err != nil {
		return "", fmt.Errorf("ssh-keygen -Y sign -f %s: %w", s.path, err)
	}
	armored := string(sig)
	if err := selfCheck(message, armored, s.pub); err != nil {
		return "", fmt.Errorf("ssh-keygen -Y sign -f %s: %w", s.path, err)
	}
	return armored, nil
}

// selfCheck verifies a fresh signature against the expected key, so a
// signer never hands out a signature that would not verify.
func selfCheck(message []byte, armored string, pub ssh.PublicKey) error {
	sig, err := checkSignature(message, armored)
	if err != nil {
		return err
	}
	if !bytes.Equal(sig.PublicKey.Marshal(), pub.Marshal()) {
		return fmt.Errorf("signed with %s, not the configured key %s", Fingerprint(sig.PublicKey), Fingerprint(pub))
	}
	return nil
}

// Fingerprint is the key's SHA256 fingerprint as ssh-keygen prints it
// ("SHA256:..."); a certificate's is that of its key, as in ssh-keygen.
func Fingerprint(k ssh.PublicKey) string {
	if c, ok := k.(*ssh.Certificate); ok {
		k = c.Key
	}
	return ssh.FingerprintSHA256(k)
}

// plainType is the key's algorithm, a certificate's that of its key.
func plainType(k ssh.PublicKey) string {
	if c, ok := k.(*ssh.Certificate); ok {
		k = c.Key
	}
	return k.Type()
}

// minRSABits is OpenSSH's SSH_RSA_MINIMUM_MODULUS_SIZE.
const minRSABits = 1024

// checkKeySize refuses RSA keys that OpenSSH refuses to load.
func checkKeySize(k ssh.PublicKey) error {
	if c, ok := k.(*ssh.Certificate); ok {
		k = c.Key
	}
	if ck, ok := k.(ssh.CryptoPublicKey); ok {
		if r, ok := ck.CryptoPublicKey().(*rsa.PublicKey); ok && r.N.BitLen() < minRSABits {
			return fmt.Errorf("RSA key of %d bits is shorter than %d", r.N.BitLen(), minRSABits)
		}
	}
	return nil
}
