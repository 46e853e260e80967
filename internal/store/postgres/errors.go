package postgres

import (
	"errors"
	"regexp"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/octorelease/octorelease/internal/errs"
)

// connectError is one line that says which server could not be reached
// and why, and never the password.
func (d *db) connectError(err error) error {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) && ce.Unwrap() != nil {
		err = ce.Unwrap()
	}
	return errs.Runtimef("cannot connect to PostgreSQL (%s): %s", d.where, d.clean(err))
}

// clean is err's message on one line, with every secret masked.
func (d *db) clean(err error) string {
	msg := oneLine(err.Error())
	for _, s := range d.secrets {
		if len(s) >= 3 {
			msg = strings.ReplaceAll(msg, s, "xxxxx")
		}
	}
	return dedupe(scrubDSN(msg, ""))
}

// dedupe drops repeated parts of a message: pgx reports each attempt
// (with TLS, then without) of one failed connection.
func dedupe(msg string) string {
	parts := strings.Split(msg, "; ")
	seen := map[string]bool{}
	out := parts[:0]
	for _, p := range parts {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, "\r", "")
	s = strings.ReplaceAll(s, "\n\t", "; ")
	return strings.ReplaceAll(s, "\n", "; ")
}

// The patterns are compiled on first use: a command that never fails to
// reach the database, or uses the file backend, does not pay for them.
var scrubbers = sync.OnceValue(func() []*regexp.Regexp {
	return []*regexp.Regexp{
		regexp.MustCompile("cannot parse `[^`]*`: "),               // pgx quoting the DSN
		regexp.MustCompile(`(://[^:/@\s]*):[^@\s]*@`),              // a URL's password
		regexp.MustCompile(`(?i)password\s*=\s*'(?:[^'\\]|\\.)*'`), // password='...'
		regexp.MustCompile(`(?i)password\s*=\s*[^\s']\S*`),         // password=...
	}
})

// scrubDSN masks what looks like a password in msg, and the whole DSN if
// msg quotes it.
func scrubDSN(msg, dsn string) string {
	if dsn != "" && len(dsn) >= 8 {
		msg = strings.ReplaceAll(msg, dsn, "$"+DSNEnv)
	}
	re := scrubbers()
	msg = re[0].ReplaceAllString(msg, "")
	msg = re[1].ReplaceAllString(msg, "$1:xxxxx@")
	msg = re[2].ReplaceAllString(msg, "password=xxxxx")
	msg = re[3].ReplaceAllString(msg, "password=xxxxx")
	return oneLine(msg)
}

// innermost is the message of the last error in err's chain.
func innermost(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}
