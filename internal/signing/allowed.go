package signing

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// AllowedSigners is a parsed allowed_signers file, in the format of
// ssh-keygen(1) "ALLOWED SIGNERS" that git's gpg.ssh.allowedSignersFile
// uses. Each line is
//
//	principals [options] key [comment]
//
// where principals is a comma-separated list of patterns (* and ?, a
// leading ! negates; the field may be double-quoted), options is a
// comma-separated list of cert-authority, namespaces="list",
// valid-after="time" and valid-before="time" (time is YYYYMMDD[HHMM[SS]],
// in UTC with a Z or UTC suffix, else in local time), and key is "type
// base64". Blank lines and lines starting with # are ignored.
//
// An AllowedSigners is safe for concurrent use.
type AllowedSigners struct {
	name    string
	entries []entry
}

type entry struct {
	line        int
	principals  string
	ca          bool
	namespaces  *string // nil: any namespace
	validAfter  int64   // Unix seconds; 0: none
	validBefore int64   // Unix seconds; 0: none
	key         ssh.PublicKey
	keyBlob     string
}

// Len is the number of entries.
func (a *AllowedSigners) Len() int {
	if a == nil {
		return 0
	}
	return len(a.entries)
}

// ParseError is an error in an allowed_signers line.
type ParseError struct {
	Name string // the file's name as given to ParseAllowedSigners
	Line int    // 1-based
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.Name, e.Line, e.Msg) }

// ParseAllowedSigners parses an allowed_signers file; name is used in errors
// ("name:line: ...") and in Verified.Source.
//
// The parser is at least as strict as ssh-keygen's: a line that ssh-keygen
// would skip as invalid is an error here, and a few odd spellings that
// ssh-keygen tolerates (a quote inside an unquoted principals field, text
// glued to a closing quote, unpadded base64) are errors too, so no entry
// can mean something else here than there.
func ParseAllowedSigners(name string, data []byte) (*AllowedSigners, error) {
	a := &AllowedSigners{name: name}
	for i, line := range strings.Split(string(data), "\n") {
		e, ok, err := parseLine(line)
		if err != nil {
			return nil, &ParseError{Name: name, Line: i + 1, Msg: err.Error()}
		}
		if ok {
			e.line = i + 1
			a.entries = append(a.entries, e)
		}
	}
	return a, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func trimSpace(s string) string { return strings.TrimLeft(s, " \t") }

// cutSpace splits s at its first space or tab.
func cutSpace(s string) (string, string) {
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

func parseLine(line string) (entry, bool, error) {
	line = strings.TrimSuffix(line, "\r")
	if strings.IndexByte(line, 0) >= 0 {
		return entry{}, false, fmt.Errorf("NUL byte in line")
	}
	s := trimSpace(line)
	if s == "" || s[0] == '#' || strings.TrimRight(s, " \t\r") == "" {
		return entry{}, false, nil
	}

	var e entry
	var err error
	if e.principals, s, err = principalsField(s); err != nil {
		return entry{}, false, err
	}
	s = trimSpace(s)
	if s == "" {
		return entry{}, false, fmt.Errorf("missing key after principals %q", e.principals)
	}

	// As ssh-keygen: a key, else options then a key.
	key, kerr := parseKeyText(s)
	if kerr != nil {
		if first, _ := cutSpace(s); isKeyType(first) {
			return entry{}, false, fmt.Errorf("invalid key: %v", kerr)
		}
		opts, rest, err := splitOptions(s)
		if err != nil {
			return entry{}, false, err
		}
		rest = trimSpace(rest)
		if rest == "" {
			return entry{}, false, fmt.Errorf("missing key after options %q", opts)
		}
		if key, err = parseKeyText(rest); err != nil {
			return entry{}, false, fmt.Errorf("invalid key: %v", err)
		}
		if err := e.parseOptions(opts); err != nil {
			return entry{}, false, fmt.Errorf("bad options: %v", err)
		}
	}
	e.key, e.keyBlob = key, string(key.Marshal())
	return e, true, nil
}

// principalsField reads the principals field: up to a space, or a
// double-quoted string.
func principalsField(s string) (string, string, error) {
	var p, rest string
	if s[0] == '"' {
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return "", "", fmt.Errorf("unterminated quote in principals")
		}
		p, rest = s[1:1+end], s[2+end:]
		if rest != "" && !isSpace(rest[0]) {
			return "", "", fmt.Errorf("unexpected %q after quoted principals", rest[0])
		}
	} else {
		p, rest = cutSpace(s)
		if strings.IndexByte(p, '"') >= 0 {
			return "", "", fmt.Errorf("quote inside principals %q (quote the whole field)", p)
		}
	}
	if p == "" {
		return "", "", fmt.Errorf("empty principals")
	}
	return p, rest, nil
}

// keyTypes are the key type names a line's key may start with.
var keyTypes = map[string]bool{
	ssh.KeyAlgoRSA: true, ssh.KeyAlgoDSA: true, ssh.KeyAlgoECDSA256: true, ssh.KeyAlgoECDSA384: true,
	ssh.KeyAlgoECDSA521: true, ssh.KeyAlgoED25519: true, ssh.KeyAlgoSKECDSA256: true, ssh.KeyAlgoSKED25519: true,
	ssh.CertAlgoRSAv01: true, ssh.CertAlgoDSAv01: true, ssh.CertAlgoECDSA256v01: true, ssh.CertAlgoECDSA384v01: true,
	ssh.CertAlgoECDSA521v01: true, ssh.CertAlgoED25519v01: true, ssh.CertAlgoSKECDSA256v01: true, ssh.CertAlgoSKED25519v01: true,
}

func isKeyType(s string) bool { return keyTypes[s] }

// parseKeyText parses "type base64 [comment]".
func parseKeyText(s string) (ssh.PublicKey, error) {
	typ, rest := cutSpace(s)
	if !isKeyType(typ) {
		return nil, fmt.Errorf("unknown key type %q", typ)
	}
	b64, _ := cutSpace(trimSpace(rest))
	if b64 == "" {
		return nil, fmt.Errorf("no key data after %q", typ)
	}
	blob, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("key data: %v", err)
	}
	key, err := ssh.ParsePublicKey(blob)
	if err != nil {
		return nil, err
	}
	if key.Type() != typ {
		return nil, fmt.Errorf("key type %q does not match its data (%q)", typ, key.Type())
	}
	if err := checkKeySize(key); err != nil {
		return nil, err
	}
	return key, nil
}

// splitOptions splits s after the options field: up to a space or tab
// outside double quotes (\" does not end a quote).
func splitOptions(s string) (string, string, error) {
	quoted := false
	i := 0
	for ; i < len(s) && (quoted || !isSpace(s[i])); i++ {
		if s[i] == '\\' && i+1 < len(s) && s[i+1] == '"' {
			i++
		} else if s[i] == '"' {
			quoted = !quoted
		}
	}
	if quoted {
		return "", "", fmt.Errorf("unterminated quote in options")
	}
	return s[:i], s[i:], nil
}

// hasPrefixFold reports whether s starts with prefix, ignoring ASCII case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// parseOptions is OpenSSH's sshsigopt_parse.
func (e *entry) parseOptions(o string) error {
	orig := o
	for o != "" {
		switch {
		case hasPrefixFold(o, "cert-authority"):
			e.ca = true
			o = o[len("cert-authority"):]
		case hasPrefixFold(o, "namespaces="):
			if e.namespaces != nil {
				return fmt.Errorf("multiple \"namespaces\" clauses")
			}
			v, rest, err := dequote(o[len("namespaces="):])
			if err != nil {
				return fmt.Errorf("namespaces: %v", err)
			}
			e.namespaces, o = &v, rest
		case hasPrefixFold(o, "valid-after="), hasPrefixFold(o, "valid-before="):
			name, _, _ := strings.Cut(o, "=")
			v, rest, err := dequote(o[len(name)+1:])
			if err != nil {
				return fmt.Errorf("%s: %v", name, err)
			}
			t, err := parseAbsoluteTime(v)
			if err != nil {
				return fmt.Errorf("invalid %q time %q: %v", strings.ToLower(name), v, err)
			}
			field := &e.validAfter
			if strings.EqualFold(name, "valid-before") {
				field = &e.validBefore
			}
			if *field != 0 {
				return fmt.Errorf("multiple %q clauses", strings.ToLower(name))
			}
			*field, o = t, rest
		}
		if o == "" {
			break
		}
		if o[0] != ',' {
			bad, _, _ := strings.Cut(o, ",")
			return fmt.Errorf("unknown key option %q", bad)
		}
		o = o[1:]
		if o == "" {
			return fmt.Errorf("unexpected end of options %q", orig)
		}
	}
	if e.validAfter != 0 && e.validBefore != 0 && e.validBefore <= e.validAfter {
		return fmt.Errorf("\"valid-before\" time is not after \"valid-after\"")
	}
	return nil
}

// dequote reads a double-quoted value at the start of s (\" is a quote).
func dequote(s string) (string, string, error) {
	if s == "" || s[0] != '"' {
		return "", "", fmt.Errorf("missing start quote")
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == '"':
			b.WriteByte('"')
			i++
		case s[i] == '"':
			return b.String(), s[i+1:], nil
		default:
			b.WriteByte(s[i])
		}
	}
	return "", "", fmt.Errorf("missing end quote")
}

// parseAbsoluteTime is OpenSSH's parse_absolute_time: YYYYMMDD,
// YYYYMMDDHHMM or YYYYMMDDHHMMSS, in UTC with a "Z" or "UTC" suffix, else in
// local time (time.Local, from TZ as for ssh-keygen). It returns Unix
// seconds, > 0.
func parseAbsoluteTime(s string) (int64, error) { return parseAbsoluteTimeIn(s, time.Local) }

func parseAbsoluteTimeIn(s string, loc *time.Location) (int64, error) {
	switch l := len(s); {
	case l > 1 && (s[l-1] == 'Z' || s[l-1] == 'z'):
		s, loc = s[:l-1], time.UTC
	case l > 3 && strings.EqualFold(s[l-3:], "UTC"):
		s, loc = s[:l-3], time.UTC
	}
	if n := len(s); n != 8 && n != 12 && n != 14 {
		return 0, fmt.Errorf("want YYYYMMDD[HHMM[SS]][Z]")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("want YYYYMMDD[HHMM[SS]][Z]")
		}
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range s[i : i+n] {
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(4, 2), num(6, 2)
	var hour, minute, sec int
	if len(s) >= 12 {
		hour, minute = num(8, 2), num(10, 2)
	}
	if len(s) == 14 {
		sec = num(12, 2)
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60 {
		return 0, fmt.Errorf("field out of range")
	}
	var t int64
	if loc == time.UTC {
		t = time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC).Unix()
	} else {
		t = mktimeStd(year, month, day, hour, minute, sec, loc)
	}
	if t <= 0 {
		return 0, fmt.Errorf("before 1970")
	}
	return t, nil
}

// mktimeStd is what OpenSSH's mktime call, with tm_isdst=0, makes of a local
// wall-clock time: during daylight saving time the clock is read as
// standard time (one hour later than time.Date would say in most zones).
func mktimeStd(year, month, day, hour, minute, sec int, loc *time.Location) int64 {
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, loc)
	if !t.IsDST() {
		return t.Unix()
	}
	// The standard offset: that of the latest period before t without DST.
	p := t
	for i := 0; i < 16 && p.IsDST(); i++ {
		start, _ := p.ZoneBounds()
		if start.IsZero() {
			return t.Unix()
		}
		p = start.Add(-time.Second)
	}
	if p.IsDST() {
		return t.Unix()
	}
	_, off := p.Zone()
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC).Unix() - int64(off)
}
