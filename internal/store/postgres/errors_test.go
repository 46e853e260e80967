//go:build unix

package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/store/postgres"
	"github.com/octorelease/octorelease/internal/store/postgres/pgtest"
	"github.com/octorelease/octorelease/internal/store/storetest"
)

// TestConnectionErrors: a DSN that cannot be used is one line, exit 1
// (exit 2 when there is none), and never shows the password.
func TestConnectionErrors(t *testing.T) {
	t.Parallel()
	p := newProject(t, binary(t, ""), 1)
	const secret = "s3cr3t-Pa55word"
	cases := []struct {
		name, dsn string
		code      int
		want      string
	}{
		{"refused", "postgres://octo:" + secret + "@127.0.0.1:1/octo?connect_timeout=5", 1, "cannot connect to PostgreSQL (host=127.0.0.1 port=1 user=octo database=octo)"},
		{"keyword form", "host=127.0.0.1 port=1 user=octo password=" + secret + " dbname=octo connect_timeout=5", 1, "cannot connect to PostgreSQL"},
		{"unparsable", "postgres://octo:" + secret + "@127.0.0.1:notaport/octo", 1, "does not parse"},
		{"unparsable keywords", "host=/tmp user=octo password=" + secret + " port=notaport", 1, "does not parse"},
		{"none", "", 2, "needs the environment variable OCTORELEASE_PG_DSN"},
	}
	// A wrong password over TCP, where the test server asks for one
	// (scripts/pg-test.sh's does).
	if cfg, err := pgconn.ParseConfig(p.schema.Admin); err == nil {
		role := "octotest_pw_" + strings.TrimPrefix(p.schema.Name, "octotest_")
		pgtest.Exec(t, p.schema.Admin, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD 'right-password'", role))
		t.Cleanup(func() { pgtest.Exec(t, p.schema.Admin, "DROP ROLE "+role) })
		dsn := fmt.Sprintf("host=127.0.0.1 port=%d user=%s password=%s dbname=%s sslmode=disable connect_timeout=5",
			cfg.Port, role, secret, cfg.Database)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := pgx.Connect(ctx, dsn)
		cancel()
		switch {
		case err == nil:
			c.Close(context.Background())
			t.Log("the test server takes any password over TCP: no wrong-password case")
		case strings.Contains(err.Error(), "password authentication failed"):
			cases = append(cases, struct {
				name, dsn string
				code      int
				want      string
			}{"wrong password", dsn, 1, "password authentication failed"})
		default:
			t.Logf("no TCP login to the test server (%v): no wrong-password case", err)
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := p.runEnv([]string{postgres.DSNEnv + "=" + tc.dsn}, "list")
			if r.Code != tc.code {
				t.Fatalf("exit %d, want %d: %s", r.Code, tc.code, r)
			}
			lines := strings.Split(strings.TrimSuffix(r.Stderr, "\n"), "\n")
			if tc.code == 1 && len(lines) != 1 {
				t.Errorf("%d lines on stderr, want one: %q", len(lines), r.Stderr)
			}
			if err := oneLine(r.Stderr); err != nil {
				t.Error(err)
			}
			if !strings.Contains(r.Stderr, tc.want) {
				t.Errorf("stderr %q does not say %q", r.Stderr, tc.want)
			}
			if strings.Contains(r.Stderr+r.Stdout, secret) {
				t.Errorf("the password is printed: %q", r.Stderr)
			}
		})
	}
}

// TestSchemaVersions: the first use creates the schema, once, however
// many processes start at once; a schema newer than the build is refused
// with a clear error; a role that may not create tables is told how to
// get them.
func TestSchemaVersions(t *testing.T) {
	t.Parallel()
	sc := pgtest.NewSchema(t)
	const n = 8
	errc := make(chan error, n)
	for range n {
		go func() {
			s, err := postgres.Open(sc.DSN, store.Options{})
			if err != nil {
				errc <- err
				return
			}
			defer s.Close()
			_, err = s.IDs()
			errc <- err
		}()
	}
	for range n {
		if err := <-errc; err != nil {
			t.Errorf("a first use: %v", err)
		}
	}
	if got := pgtest.Query(t, sc.DSN, `SELECT string_agg(version::text, ',') FROM schema_version`); got[0] != fmt.Sprint(postgres.SchemaVersion) {
		t.Errorf("schema_version holds %v, want one row %d", got, postgres.SchemaVersion)
	}

	pgtest.Exec(t, sc.DSN, `INSERT INTO schema_version (version) VALUES (99)`)
	s, err := postgres.Open(sc.DSN, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.Load("v1.0.0")
	if errs.Code(err) != errs.CodeRuntime || !strings.Contains(fmt.Sprint(err), "version 99, newer than this octorelease knows (1): upgrade octorelease") {
		t.Errorf("a newer schema: %v", err)
	}
	p := newProject(t, binary(t, ""), 1)
	p.env = append(p.env, postgres.DSNEnv+"="+sc.DSN)
	if r := p.run("list"); r.Code != 1 || !strings.Contains(r.Stderr, "newer than this octorelease knows") || oneLine(r.Stderr) != nil {
		t.Errorf("list against a newer schema: %s", r)
	}
}

// TestLeastPrivilege: once the owner has run octorelease (creating the
// schema), a role with nothing but SELECT and INSERT (docs/postgres.md)
// runs every command; it can neither change nor delete a row, and no role
// can, the owner included. On a schema that is not there yet it is told to
// run octorelease as the owner once.
func TestLeastPrivilege(t *testing.T) {
	t.Parallel()
	p := newProject(t, binary(t, ""), 3)
	role := "octotest_app_" + strings.TrimPrefix(p.schema.Name, "octotest_")
	pgtest.Exec(t, p.schema.Admin, "CREATE ROLE "+role+" LOGIN")
	t.Cleanup(func() {
		pgtest.Exec(t, p.schema.Admin, "DROP OWNED BY "+role)
		pgtest.Exec(t, p.schema.Admin, "DROP ROLE "+role)
	})
	appDSN := pgtest.WithParam(p.schema.DSN, "user", role)

	// Before the migration: the app role may not create the tables.
	pgtest.Exec(t, p.schema.Admin, fmt.Sprintf("GRANT USAGE ON SCHEMA %s TO %s", p.schema.Name, role))
	app := []string{postgres.DSNEnv + "=" + appDSN}
	if r := p.runEnv(app, "list"); r.Code != 1 || !strings.Contains(r.Stderr, "run octorelease once as the role that owns the schema") || oneLine(r.Stderr) != nil {
		t.Errorf("the app role on an empty schema: %s", r)
	}

	// The owner migrates (any command), then grants.
	p.must(p.run("list"))
	for _, sql := range []string{
		"GRANT SELECT ON schema_version, releases, events, open_releases TO %[2]s",
		"GRANT INSERT ON releases, events TO %[2]s",
	} {
		pgtest.Exec(t, p.schema.DSN, fmt.Sprintf(sql, p.schema.Name, role))
	}
	for _, args := range [][]string{
		{"start", "1.0.0", "--type", "minor", "--no-walk"},
		{"sign", "s-000", "--role", "qa"},
		{"sign", "s-001", "--role", "qa", "--as", "carol"},
		{"revoke", "s-001", "--role", "qa", "--reason", "wrong build"},
		{"sign", "s-001", "s-002", "--role", "qa"},
		{"status", "-o", "json"},
		{"gate"},
		{"audit", "verify", "--all"},
		{"incident", "--reason", "smoke"},
		{"abort", "-r", "v1.0.0-incident-1", "--reason", "false alarm"},
		{"finish"},
		{"list", "--all"},
		{"export", "--all", "out"},
		{"import", "out"},
	} {
		r := p.runEnv(app, args...)
		if r.Code != 0 {
			t.Errorf("as %s: %s", role, r)
		}
	}
	for _, sql := range []string{
		"UPDATE events SET kind = 'sign'",
		"DELETE FROM events",
		"DELETE FROM open_releases",
		"UPDATE releases SET header = header",
		"CREATE TABLE sneaky (x int)",
	} {
		if err := execErr(appDSN, sql); err == nil {
			t.Errorf("the app role may %s", sql)
		}
		if !strings.HasPrefix(sql, "CREATE") && !strings.Contains(sql, "open_releases") {
			if err := execErr(p.schema.DSN, sql); err == nil || !strings.Contains(err.Error(), "immutable") {
				t.Errorf("the owner may %s: %v", sql, err)
			}
		}
	}
}

func execErr(dsn, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, sql)
	return err
}

// TestLockTimeout: a writer that cannot get the lock within the timeout
// fails with exit 1 and names the holder (actor, host, process).
func TestLockTimeout(t *testing.T) {
	t.Parallel()
	p := newProject(t, binary(t, "testhooks"), 2)
	p.must(p.run("start", "1.0.0", "--type", "minor", "--no-walk"))
	holder := p.startProcess([]string{"OCTORELEASE_TEST_PG_WRITE_DELAY=3s"}, "sign", "s-000", "--role", "qa", "--as", "alice")
	if !waitInTransaction(t, p, "alice", 20*time.Second) {
		t.Fatal("the holder never took the lock")
	}
	r := p.run("sign", "s-001", "--role", "qa", "--as", "bob", "--lock-timeout", "300ms")
	if r.Code != 1 || !strings.Contains(r.Stderr, "release v1.0.0 is locked by alice on ") || !strings.Contains(r.Stderr, "(PostgreSQL backend ") {
		t.Errorf("a writer that waited in vain: %s", r)
	}
	if err := oneLine(r.Stderr); err != nil {
		t.Error(err)
	}
	if hr := holder.wait(); hr.Code != 0 {
		t.Errorf("the holder: %s", hr)
	}
	got := storetest.Signers(verified(t, p.store(), releaseID))
	if len(got["s-000"]) != 1 || len(got["s-001"]) != 0 {
		t.Errorf("sign-offs %v", got)
	}
}

// TestDamageIsReported edits, deletes and reformats rows behind the
// store's back (as a superuser can, with the immutability trigger
// disabled): Load refuses the release, Inspect and `audit verify` name
// every problem, each at its event.
func TestDamageIsReported(t *testing.T) {
	t.Parallel()
	sc := pgtest.NewSchema(t)
	s, err := postgres.Open(sc.DSN, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cases := []struct {
		id, sql, want string
	}{
		{"v1.0.0", `UPDATE events SET body = convert_to(replace(convert_from(body, 'UTF8'), 'carol', 'mallory'), 'UTF8')
			WHERE release_id = $1 AND kind = 'sign'`, "hash does not match its content"},
		{"v1.1.0", `UPDATE events SET body = convert_to(replace(convert_from(body, 'UTF8'), '  ', '    '), 'UTF8')
			WHERE release_id = $1 AND kind = 'sign'`, "not in the form octorelease writes"},
		{"v1.2.0", `UPDATE events SET kind = 'waive' WHERE release_id = $1 AND kind = 'sign'`, "column does not match its content"},
		{"v1.3.0", `DELETE FROM events WHERE release_id = $1 AND kind = 'sign'
			AND file_name = (SELECT min(file_name) FROM events WHERE release_id = $1 AND kind = 'sign')`, "is missing (an event file was deleted?)"},
		{"v1.4.0", `UPDATE releases SET header = convert_to(replace(convert_from(header, 'UTF8'), 'Contract', 'Kontract'), 'UTF8')
			WHERE id = $1`, "does not match the start event"},
		{"v1.5.0", `UPDATE events SET body = convert_to('{"kind": "sign"', 'UTF8') WHERE release_id = $1 AND kind = 'sign'`, "does not parse"},
	}
	for _, tc := range cases {
		r := storetest.NewRelease(t, tc.id, storetest.ItemsChecklist(3))
		if err := s.Create(r); err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			if err := s.Update(tc.id, storetest.Sign(storetest.Item(i), "qa", "carol", storetest.Tick(i+1))); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx := context.Background()
	c, err := pgx.Connect(ctx, sc.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, sql := range []string{"ALTER TABLE events DISABLE TRIGGER events_immutable", "ALTER TABLE releases DISABLE TRIGGER releases_immutable"} {
		if _, err := c.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range cases {
		if _, err := c.Exec(ctx, tc.sql, tc.id); err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
	}
	for _, tc := range cases {
		_, err := s.Load(tc.id)
		if tc.id == "v1.1.0" || tc.id == "v1.2.0" {
			// The content is intact: only its form, or the columns
			// beside it, changed.
			if err != nil {
				t.Errorf("Load(%s) of events whose content is intact: %v", tc.id, err)
			}
		} else if errs.Code(err) != errs.CodeRuntime {
			t.Errorf("Load(%s) of a damaged release: %v", tc.id, err)
		}
		_, damage, err := s.Inspect(tc.id)
		if tc.id == "v1.5.0" {
			// An event that does not parse is damage too, named.
			if err != nil {
				t.Fatalf("Inspect(%s): %v", tc.id, err)
			}
		}
		if err != nil {
			t.Errorf("Inspect(%s): %v", tc.id, err)
			continue
		}
		if d := fmt.Sprint(damage); !strings.Contains(d, tc.want) {
			t.Errorf("Inspect(%s) = %s, want %q", tc.id, d, tc.want)
		}
	}
	p := newProject(t, binary(t, ""), 1)
	p.env = append(p.env, postgres.DSNEnv+"="+sc.DSN)
	r := p.run("audit", "verify", "--all")
	if r.Code != 1 || !strings.Contains(r.Stderr, "6 of 6 releases failed verification") || !strings.Contains(r.Stdout, "events/") {
		t.Errorf("audit verify --all: %s", r)
	}
}
