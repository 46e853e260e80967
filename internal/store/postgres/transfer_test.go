//go:build unix

package postgres_test

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/octorelease/octorelease/internal/store/postgres/pgtest"
)

// TestTransferRoundTrip keeps releases with every kind of event (signed
// ones among them, with text that tempts an encoder to escape it) in a
// file backend, imports them into PostgreSQL, and wants: every command's
// JSON byte-identical between the two backends; an export back into a new
// folder byte-identical to the original, file by file; audit verify intact
// on both; importing again adds nothing; importing a folder that has one
// more event adds just that event, and exporting again likewise; a folder
// holding another release of the same id is refused and changes nothing.
func TestTransferRoundTrip(t *testing.T) {
	t.Parallel()
	p := newProject(t, binary(t, ""), 6)
	signed := setUpSigning(t, p)
	tricky := "<b>bold</b> & \"quoted\" \\ back\tslash ✓ ünï \u2028 2nd line"
	steps := [][]string{
		{"start", "1.0.0", "--type", "minor", "--no-walk", "--summary", "Search <fast> & ✓"},
		{"sign", "s-000", "--role", "qa", "--note", tricky, "--evidence", "https://ci.example.com/run?id=1&x=<2>"},
		{"sign", "s-001", "--role", "qa", "--as", "carol@example.com"},
		{"revoke", "s-001", "--role", "qa", "--reason", "wrong build"},
		{"sign", "s-001", "--role", "qa", "--as", "dave"},
		{"sign", "s-004", "--role", "qa", "--force", "--reason", "CTO approved " + tricky},
		{"incident", "-r", "v1.0.0", "--reason", "error rate up"},
		{"sign", "stakeholder-comms", "--role", "project-manager", "-r", "v1.0.0-incident-1", "--note", tricky},
		{"start", "1.1.0", "--type", "minor", "--no-walk"},
		{"abort", "-r", "v1.1.0", "--reason", "superseded"},
	}
	for _, args := range steps {
		p.must(p.runEnv([]string{"OCTORELEASE_BACKEND=file"}, args...))
	}

	p.must(p.run("import", ".octorelease"))
	// The same events give the same output, byte for byte.
	for _, args := range [][]string{
		{"status", "-r", "v1.0.0", "-o", "json"},
		{"status", "-r", "v1.0.0-incident-1", "-o", "json"},
		{"status", "-r", "v1.1.0", "-o", "json"},
		{"log", "-r", "v1.0.0", "-o", "json"},
		{"gate", "-r", "v1.0.0", "-o", "json"},
		{"list", "--all", "-o", "json"},
		{"audit", "verify", "--all", "-o", "json"},
		{"status", "-r", "v1.0.0"},
	} {
		fromFile, fromPG := p.runFile(args...), p.run(args...)
		if fromFile.Code != fromPG.Code || fromFile.Stdout != fromPG.Stdout {
			t.Errorf("%s differs between the backends:\nfile: %s\npostgres: %s", strings.Join(args, " "), fromFile, fromPG)
		}
	}
	if a := p.run("audit", "verify", "--all", "-o", "json"); !strings.Contains(a.Stdout, `"verified": true`) && signed {
		t.Errorf("the signed events do not verify from the database: %s", a)
	}

	p.must(p.run("export", "--all", "out"))
	sameTrees(t, filepath.Join(p.dir, ".octorelease"), filepath.Join(p.dir, "out"))
	p.must(p.run("audit", "verify", "--all"))
	p.must(p.runFile("--state-dir", "out", "audit", "verify", "--all"))

	// Idempotent: nothing new, nothing written.
	count := func() string {
		return pgtest.Query(t, p.schema.DSN, `SELECT count(*) FROM events`)[0]
	}
	before := count()
	if r := p.must(p.run("import", ".octorelease")); !strings.Contains(r.Stdout, "(0 new events)") {
		t.Errorf("a second import: %s", r)
	}
	if r := p.must(p.run("export", "--all", "out")); !strings.Contains(r.Stdout, "(0 new events)") {
		t.Errorf("a second export: %s", r)
	}
	if after := count(); after != before {
		t.Errorf("a second import changed the event count from %s to %s", before, after)
	}

	// A superset adds just the new event, both ways.
	p.must(p.runFile("sign", "incident-response", "--role", "sre", "-r", "v1.0.0-incident-1"))
	if r := p.must(p.run("import", ".octorelease")); !strings.Contains(r.Stdout, "(1 new events)") {
		t.Errorf("importing one more event: %s", r)
	}
	if r := p.must(p.run("export", "--all", "out")); !strings.Contains(r.Stdout, "(1 new events)") {
		t.Errorf("exporting one more event: %s", r)
	}
	sameTrees(t, filepath.Join(p.dir, ".octorelease"), filepath.Join(p.dir, "out"))

	// Only the current release and its runs without --all.
	p.must(p.run("export", "-r", "v1.0.0", "one"))
	entries, _ := os.ReadDir(filepath.Join(p.dir, "one"))
	var dirs []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			dirs = append(dirs, e.Name())
		}
	}
	if strings.Join(dirs, " ") != "v1.0.0 v1.0.0-incident-1" {
		t.Errorf("export -r v1.0.0 wrote %v", dirs)
	}

	// Another release of the same id is refused, and nothing changes.
	before = count()
	p.must(p.runFile("--state-dir", "other", "start", "1.0.0", "--type", "minor", "--no-walk", "--summary", "another"))
	r := p.run("import", "other")
	if r.Code != 1 || !strings.Contains(r.Stderr, "headers differ") {
		t.Errorf("importing another v1.0.0: %s", r)
	}
	if err := oneLine(r.Stderr); err != nil {
		t.Error(err)
	}
	if after := count(); after != before {
		t.Errorf("a refused import changed the event count from %s to %s", before, after)
	}
}

// setUpSigning gives the project a signing key and an allowed_signers
// file, when ssh-keygen is there; it reports whether it is.
func setUpSigning(t *testing.T, p *project) bool {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Log("no ssh-keygen: the events are not signed")
		return false
	}
	key := filepath.Join(p.dir, "keys", "tester")
	if err := os.MkdirAll(filepath.Dir(key), 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "tester", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(pub))
	p.write("keys/allowed_signers", "tester,carol@example.com,dave namespaces=\"octorelease\" "+f[0]+" "+f[1]+"\n")
	p.write(".octorelease.yaml", "signing:\n  key: keys/tester\n  allowed_signers: keys/allowed_signers\n")
	return true
}

// sameTrees wants every release folder of want (release.json and every
// event file) in got with the same bytes, and no other release file in got.
func sameTrees(t *testing.T, want, got string) {
	t.Helper()
	w, g := releaseFiles(t, want), releaseFiles(t, got)
	if len(w) == 0 {
		t.Fatalf("no release files in %s", want)
	}
	for name, data := range w {
		if other, ok := g[name]; !ok {
			t.Errorf("%s is missing from %s", name, got)
		} else if !bytes.Equal(other, data) {
			t.Errorf("%s differs:\n%s\nwant\n%s", name, other, data)
		}
	}
	var extra []string
	for name := range g {
		if _, ok := w[name]; !ok {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("%s has files %s does not: %v", got, want, extra)
	}
}

// releaseFiles maps <id>/release.json and <id>/events/*.json to their bytes.
func releaseFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != dir {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(rel, ".json") || !strings.Contains(rel, string(filepath.Separator)) {
			return nil
		}
		data, err := os.ReadFile(path)
		m[rel] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
