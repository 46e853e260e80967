// Package pgtest gives tests of the postgres backend a database of their
// own on the server OCTORELEASE_TEST_PG_DSN names (scripts/pg-test.sh
// starts one; .ci/run always does). Without it the tests skip, saying so;
// under CI=true they fail instead, since CI always has a server.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN is the variable naming the test server: a role that may create
// schemas and roles in its database.
const EnvDSN = "OCTORELEASE_TEST_PG_DSN"

// AdminDSN is the DSN of the test server. It skips the test without one,
// or fails it under CI=true.
func AdminDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set, and CI always has a PostgreSQL server: .ci/run starts one with scripts/pg-test.sh", EnvDSN)
		}
		t.Skipf("%s is not set: no PostgreSQL server to test against (start one with `scripts/pg-test.sh start`, or run `scripts/pg-test.sh go test ./...`)", EnvDSN)
	}
	return dsn
}

// Schema is a fresh schema on the test server, dropped when the test ends.
type Schema struct {
	Name  string
	Admin string // the server's DSN
	DSN   string // the server's DSN with the schema as the search_path
}

// NewSchema creates a schema of its own for t: tests run in parallel,
// and again, without seeing each other's releases.
func NewSchema(t testing.TB) *Schema {
	t.Helper()
	admin := AdminDSN(t)
	s := &Schema{Name: "octotest_" + randHex(8), Admin: admin}
	s.DSN = WithParam(admin, "search_path", s.Name)
	Exec(t, admin, "CREATE SCHEMA "+pgx.Identifier{s.Name}.Sanitize())
	t.Cleanup(func() {
		// Connections of the test's processes may still be going away.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("drop schema %s: %v", s.Name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{s.Name}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", s.Name, err)
		}
	})
	return s
}

// WithParam returns dsn with one more setting, in either DSN form.
func WithParam(dsn, key, value string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return dsn
		}
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String()
	}
	v := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(value)
	return strings.TrimSpace(dsn) + " " + key + "='" + v + "'"
}

// Exec runs sql on the server dsn names, failing the test on an error.
func Exec(t testing.TB, dsn, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to the test server: %v", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// Query runs sql and returns the first column of every row as text.
func Query(t testing.TB, dsn, sql string, args ...any) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to the test server: %v", err)
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		out = append(out, fmt.Sprint(vals[0]))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
