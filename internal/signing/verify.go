package signing

import (
	"bytes"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
)

// Verified says who signed: the entry of allowed_signers that admitted the
// signature and the key that made it.
type Verified struct {
	// Principal is the principal the signature was verified for (the
	// event's actor).
	Principal string
	// Pattern is the matching entry's principals field as written
	// ("*@example.com", "!mallory@example.com,*@example.com", ...).
	Pattern string
	// Source is the matching entry's "file:line".
	Source string
	// Fingerprint is the signing key's "SHA256:..." fingerprint (for a
	// certificate, that of its key, as ssh-keygen prints it).
	Fingerprint string
	// KeyType is the signing key's type ("ssh-ed25519", "ssh-rsa",
	// "ssh-ed25519-cert-v01@openssh.com", ...).
	KeyType string
	// CAFingerprint is the fingerprint of the certificate authority when
	// the signature was made with a certificate, else "".
	CAFingerprint string
}

// maxArmored bounds the armored signature accepted (real ones are < 2 KiB;
// an RSA certificate with many principals stays far below this).
const maxArmored = 64 << 10

// unarmor decodes an armored SSHSIG signature. Only whitespace may surround
// the one PEM block, which must carry no headers.
func unarmor(armored string) (*sshsig.Signature, error) {
	if len(armored) > maxArmored {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrMalformed, maxArmored)
	}
	data := []byte(strings.TrimLeft(armored, " \t\r\n"))
	block, rest := pem.Decode(data)
	if block == nil || !bytes.HasPrefix(data, []byte("-----BEGIN ")) {
		return nil, fmt.Errorf("%w: no %q block", ErrMalformed, sshsig.PEMType)
	}
	if block.Type != sshsig.PEMType {
		return nil, fmt.Errorf("%w: PEM type %q, want %q", ErrMalformed, block.Type, sshsig.PEMType)
	}
	if len(block.Headers) != 0 || len(bytes.TrimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%w: unexpected data around the signature", ErrMalformed)
	}
	sig, err := sshsig.ParseSignature(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := checkKeySize(sig.PublicKey); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return sig, nil
}

// checkSignature checks that armored is a valid SSHSIG signature of message
// under Namespace by the key it names; trust is not checked.
func checkSignature(message []byte, armored string) (*sshsig.Signature, error) {
	sig, err := unarmor(armored)
	if err != nil {
		return nil, err
	}
	if sig.Namespace != Namespace {
		return sig, fmt.Errorf("%w: signed for namespace %q", ErrWrongNamespace, sig.Namespace)
	}
	// As OpenSSH: RSA (plain or certified) signs with SHA-2 only.
	if plainType(sig.PublicKey) == ssh.KeyAlgoRSA &&
		sig.Signature.Format != ssh.KeyAlgoRSASHA512 && sig.Signature.Format != ssh.KeyAlgoRSASHA256 {
		return sig, fmt.Errorf("%w: RSA signature algorithm %q", ErrBadSignature, sig.Signature.Format)
	}
	// Only security-key signatures carry data after the signature blob
	// (flags and counter); OpenSSH refuses trailing data for the others.
	if len(sig.Signature.Rest) != 0 && !strings.HasPrefix(plainType(sig.PublicKey), "sk-") {
		return sig, fmt.Errorf("%w: trailing data in %s signature", ErrBadSignature, sig.Signature.Format)
	}
	if err := sshsig.Verify(bytes.NewReader(message), sig, sig.PublicKey, sig.HashAlgorithm, Namespace); err != nil {
		return sig, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return sig, nil
}

// SignatureKey is the key an armored signature claims to be made with (a
// certificate when it was made with one), without checking the signature or
// trust: for audit output of signatures that do not verify.
func SignatureKey(armored string) (ssh.PublicKey, error) {
	sig, err := unarmor(armored)
	if err != nil {
		return nil, err
	}
	return sig.PublicKey, nil
}

// Verify checks that armored is a valid SSHSIG signature of message under
// Namespace, made by a key that a listed entry allows for principal at the
// time at, with the rules of `ssh-keygen -Y verify -n octorelease -I
// principal -Overify-time=at`:
//   - a plain key entry (no cert-authority) allows exactly that key; a
//     cert-authority entry allows user certificates signed by that CA key
//     that list principal (exactly) and are valid at at;
//   - the entry's principals patterns match principal (* and ?, a
//     negated !pattern that matches excludes it);
//   - the entry's namespaces=, if given, match "octorelease";
//   - at, in seconds, is not before valid-after nor after valid-before.
//
// The first entry that allows the signature wins. On a failure after the
// signature itself checked out, the returned Verified still carries the
// key's Fingerprint and KeyType. The error wraps one of ErrMalformed,
// ErrWrongNamespace, ErrBadSignature, ErrKeyNotListed, ErrPrincipalMismatch,
// ErrCertificate, ErrNamespaceNotAllowed, ErrNotYetValid or ErrExpired.
func (a *AllowedSigners) Verify(message []byte, armored, principal string, at time.Time) (Verified, error) {
	sig, err := checkSignature(message, armored)
	if err != nil {
		return Verified{}, err
	}
	key := sig.PublicKey
	v := Verified{Fingerprint: Fingerprint(key), KeyType: key.Type()}
	cert, isCert := key.(*ssh.Certificate)
	if isCert {
		v.CAFingerprint = ssh.FingerprintSHA256(cert.SignatureKey)
	}
	if a == nil {
		return v, fmt.Errorf("%w: no allowed signers", ErrKeyNotListed)
	}
	if principal == "" || strings.IndexByte(principal, 0) >= 0 {
		return v, fmt.Errorf("%w: invalid principal %q", ErrPrincipalMismatch, principal)
	}
	keyBlob := string(key.Marshal())
	var caBlob string
	if isCert {
		caBlob = string(cert.SignatureKey.Marshal())
	}
	t := at.Unix()

	// Of the entries that list the key, report the one that came closest.
	var best error
	bestRank := 0
	fail := func(rank int, err error) {
		if rank > bestRank {
			best, bestRank = err, rank
		}
	}
	for i := range a.entries {
		e := &a.entries[i]
		if e.ca {
			if !isCert || caBlob != e.keyBlob {
				continue
			}
		} else if keyBlob != e.keyBlob {
			continue
		}
		src := fmt.Sprintf("%s:%d", a.name, e.line)
		if matchPatternList(principal, e.principals) != 1 {
			fail(1, fmt.Errorf("%w: %s lists key %s for %q, not for %q", ErrPrincipalMismatch, src, v.Fingerprint, e.principals, principal))
			continue
		}
		if e.ca {
			if err := checkCert(cert, principal, t); err != nil {
				fail(2, fmt.Errorf("%w: %s: certificate %q (CA %s): %v", ErrCertificate, src, cert.KeyId, v.CAFingerprint, err))
				continue
			}
		}
		if e.namespaces != nil && matchPatternList(Namespace, *e.namespaces) != 1 {
			fail(3, fmt.Errorf("%w: %s allows namespaces %q", ErrNamespaceNotAllowed, src, *e.namespaces))
			continue
		}
		if e.validAfter != 0 && t < e.validAfter {
			fail(4, fmt.Errorf("%w: %s: %s is before valid-after %s", ErrNotYetValid, src, fmtTime(t), fmtTime(e.validAfter)))
			continue
		}
		if e.validBefore != 0 && t > e.validBefore {
			fail(4, fmt.Errorf("%w: %s: %s is after valid-before %s", ErrExpired, src, fmtTime(t), fmtTime(e.validBefore)))
			continue
		}
		v.Principal, v.Pattern, v.Source = principal, e.principals, src
		return v, nil
	}
	if best == nil {
		if isCert {
			return v, fmt.Errorf("%w: certificate %q: neither its key %s nor its CA %s (as cert-authority) is listed in %s",
				ErrKeyNotListed, cert.KeyId, v.Fingerprint, v.CAFingerprint, a.name)
		}
		return v, fmt.Errorf("%w: key %s is not listed in %s", ErrKeyNotListed, v.Fingerprint, a.name)
	}
	return v, best
}

// checkCert is OpenSSH's sshkey_cert_check_authority for a user certificate
// and principal at time t, plus the CA's signature over the certificate
// (OpenSSH checks it when it parses the certificate). Critical options are
// not interpreted, as in ssh-keygen -Y verify.
func checkCert(cert *ssh.Certificate, principal string, t int64) error {
	if cert.CertType != ssh.UserCert {
		return errors.New("not a user certificate")
	}
	if _, ok := cert.SignatureKey.(*ssh.Certificate); ok {
		return errors.New("signed by a certificate, not a CA key")
	}
	if t < 0 || uint64(t) < cert.ValidAfter {
		return fmt.Errorf("not yet valid at %s (valid after %s)", fmtTime(t), fmtCertTime(cert.ValidAfter))
	}
	if uint64(t) >= cert.ValidBefore {
		return fmt.Errorf("expired at %s (valid before %s)", fmtTime(t), fmtCertTime(cert.ValidBefore))
	}
	if len(cert.ValidPrincipals) == 0 {
		return errors.New("lacks a principal list")
	}
	if !slices.Contains(cert.ValidPrincipals, principal) {
		return fmt.Errorf("%q is not a listed principal %q", principal, cert.ValidPrincipals)
	}
	checker := ssh.CertChecker{
		SupportedCriticalOptions: slices.Collect(maps.Keys(cert.CriticalOptions)),
		Clock:                    func() time.Time { return time.Unix(t, 0) },
	}
	if err := checker.CheckCert(principal, cert); err != nil {
		return err
	}
	return checkKeySize(cert.SignatureKey)
}

func fmtTime(t int64) string { return time.Unix(t, 0).UTC().Format(time.RFC3339) }

func fmtCertTime(t uint64) string {
	switch {
	case t == ssh.CertTimeInfinity:
		return "forever"
	case t > 1<<62:
		return fmt.Sprint(t)
	}
	return fmtTime(int64(t))
}
