package trusttest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/testbin"
	"github.com/octorelease/octorelease/internal/testdoc"
)

// Built once by TestMain, removed when it returns.
var (
	octoBin string // the octorelease binary of this module
	keysDir string // <name> and <name>.pub for every person
	workDir string // fixtures shared by the benchmarks
)

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	for _, tool := range []string{"git", "ssh-keygen", "ssh-agent", "ssh-add"} {
		if _, err := exec.LookPath(tool); err != nil {
			fmt.Fprintf(os.Stderr, "trusttest: %s is not installed; these tests need it\n", tool)
			return 1
		}
	}
	dir, err := os.MkdirTemp("", "octorelease-trusttest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "trusttest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	keysDir = filepath.Join(dir, "keys")
	workDir = filepath.Join(dir, "work")
	for _, d := range []string{keysDir, workDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			fmt.Fprintln(os.Stderr, "trusttest:", err)
			return 1
		}
	}
	for _, p := range people {
		key := filepath.Join(keysDir, p.name)
		out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", p.email, "-f", key).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "trusttest: ssh-keygen for %s: %v\n%s", p.name, err, out)
			return 1
		}
	}
	return testbin.Main(m, "trusttest", func(b *testbin.Builds) (err error) {
		octoBin, err = b.Path("")
		return err
	})
}

// person is someone with an SSH key. role is the role .octorelease.yaml
// makes them a member of ("" for none).
type person struct {
	name, email, role string
}

// people: one member per built-in role, a second and a third qa member,
// the release manager (no role) and mallory (a key in allowed_signers, a
// member of nothing). old's allowed_signers line expired in 2020.
var people = []person{
	{"rm", "rm@example.com", ""},
	{"dev", "dev@example.com", "developer"},
	{"sec", "sec@example.com", "security"},
	{"qa", "qa@example.com", "qa"},
	{"qa2", "qa2@example.com", "qa"},
	{"old", "old@example.com", "qa"},
	{"pm", "pm@example.com", "product-manager"},
	{"pj", "pj@example.com", "project-manager"},
	{"sre", "sre@example.com", "sre"},
	{"mallory", "mallory@example.com", ""},
}

func who(name string) person {
	for _, p := range people {
		if p.name == name {
			return p
		}
	}
	panic("no person " + name)
}

func privKey(name string) string { return filepath.Join(keysDir, name) }
func pubKey(name string) string  { return filepath.Join(keysDir, name+".pub") }

func readPub(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(pubKey(name))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(data))
	return f[0] + " " + f[1]
}

// signersLine is name's allowed_signers entry for principal.
func signersLine(t testing.TB, principal, name, extra string) string {
	t.Helper()
	opts := `namespaces="octorelease"`
	if extra != "" {
		opts += "," + extra
	}
	return fmt.Sprintf("%s %s %s\n", principal, opts, readPub(t, name))
}

// allowedSigners lists every person's key for their e-mail; old's entry
// expired before 2020.
func allowedSigners(t testing.TB) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("# the team's signing keys (git's allowed_signers format)\n")
	for _, p := range people {
		extra := ""
		if p.name == "old" {
			extra = `valid-before="20200101"`
		}
		b.WriteString(signersLine(t, p.email, p.name, extra))
	}
	return b.String()
}

// configYAML is a .octorelease.yaml: each role's members are the people
// holding it, minus drop; separation of duties on; signatures required
// when signed.
func configYAML(signed bool, drop ...string) string {
	var b strings.Builder
	b.WriteString("roles:\n")
	for _, role := range []string{"sre", "qa", "security", "product-manager", "project-manager", "developer"} {
		var members []string
		for _, p := range people {
			if p.role == role && !slices.Contains(drop, p.name) {
				members = append(members, p.email)
			}
		}
		fmt.Fprintf(&b, "  %s:\n    members: [%s]\n", role, strings.Join(members, ", "))
	}
	fmt.Fprintf(&b, "policy:\n  require_signatures: %v\n  separation_of_duties: true\n", signed)
	return b.String()
}

// repo is one git repository holding the code and the state folder, with
// a clean environment of its own.
type repo struct {
	t      testing.TB
	root   string
	dir    string // the work tree
	env    []string
	signed bool // people sign with their keys
}

type repoOpts struct {
	signed bool              // require_signatures, keys, allowed_signers
	files  map[string]string // more files of the first commit
}

// newRepo makes a repository whose first commit on main holds the config
// (and, when signed, .octorelease/allowed_signers).
func newRepo(t testing.TB, o repoOpts) *repo {
	t.Helper()
	root := t.TempDir()
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	return newRepoIn(t, root, o)
}

func newRepoIn(t testing.TB, root string, o repoOpts) *repo {
	t.Helper()
	r := &repo{t: t, root: root, dir: filepath.Join(root, "work"), signed: o.signed}
	home, tmp := filepath.Join(root, "home"), filepath.Join(root, "tmp")
	for _, d := range []string{home, tmp, r.dir} {
		mkdir(t, d)
	}
	r.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"TMPDIR=" + tmp,
		"NO_COLOR=1",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_EDITOR=true",
		"LC_ALL=C",
		"TZ=UTC",
	}
	writeFile(t, filepath.Join(home, ".gitconfig"),
		"[user]\n\temail = ci@example.com\n\tname = CI\n[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n[advice]\n\tdetachedHead = false\n")
	r.git("init", "-q", "--initial-branch=main")
	writeFile(t, filepath.Join(r.dir, "README.md"), "# service\n")
	writeFile(t, filepath.Join(r.dir, ".octorelease.yaml"), configYAML(o.signed))
	if o.signed {
		writeFile(t, filepath.Join(r.dir, ".octorelease", "allowed_signers"), allowedSigners(t))
	}
	for p, content := range o.files {
		writeFile(t, filepath.Join(r.dir, filepath.FromSlash(p)), content)
	}
	r.git("add", "-A")
	r.git("commit", "-q", "-m", "initial commit")
	return r
}

func (r *repo) git(args ...string) string {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir, cmd.Env = r.dir, r.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (r *repo) head() string { r.t.Helper(); return r.git("rev-parse", "HEAD") }

// commit commits everything in the work tree.
func (r *repo) commit(msg string) string {
	r.t.Helper()
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "-m", msg)
	return r.head()
}

func (r *repo) path(rel string) string { return filepath.Join(r.dir, filepath.FromSlash(rel)) }

// actor runs octorelease as one person (or as CI, with no identity of its
// own but git's user.email and no key).
type actor struct {
	r    *repo
	name string
	env  []string
}

// as is person name: OCTORELEASE_ACTOR is their e-mail and, in a signed
// repository, OCTORELEASE_SIGNING_KEY their public key.
func (r *repo) as(name string) *actor {
	p := who(name)
	env := append(slices.Clone(r.env), "OCTORELEASE_ACTOR="+p.email)
	if r.signed {
		env = append(env, "OCTORELEASE_SIGNING_KEY="+pubKey(name))
	}
	return &actor{r: r, name: name, env: env}
}

// ci is a reader with no key: the pipeline.
func (r *repo) ci() *actor { return &actor{r: r, name: "ci", env: slices.Clone(r.env)} }

// with is the actor with more environment (KEY=VALUE; a later one wins).
func (a *actor) with(kv ...string) *actor {
	env := slices.Clone(a.env)
	for _, s := range kv {
		k, _, _ := strings.Cut(s, "=")
		env = slices.DeleteFunc(env, func(e string) bool { return strings.HasPrefix(e, k+"=") })
		env = append(env, s)
	}
	return &actor{r: a.r, name: a.name, env: env}
}

// result is one run of octorelease.
type result = testbin.Result

func (a *actor) run(args ...string) result {
	t := a.r.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, octoBin, args...)
	cmd.Dir, cmd.Env = a.r.dir, a.env
	res := testbin.Run(cmd)
	if res.Code < 0 {
		t.Fatalf("%s: octorelease %s: %v", a.name, strings.Join(args, " "), res.Err)
	}
	for _, s := range []string{"panic:", "goroutine ", "runtime error"} {
		if strings.Contains(res.Stdout+res.Stderr, s) {
			t.Errorf("%s: %s\nprinted %q", a.name, res, s)
		}
	}
	return res
}

func (a *actor) ok(args ...string) result {
	a.r.t.Helper()
	return a.want(0, args...)
}

func (a *actor) want(code int, args ...string) result {
	a.r.t.Helper()
	res := a.run(args...)
	if res.Code != code {
		a.r.t.Fatalf("%s: want exit %d: %s", a.name, code, res)
	}
	return res
}

// auditDoc is `audit verify -o json` (SPEC §8), the fields the tests read.
type auditDoc struct {
	Release  string   `json:"release"`
	Intact   bool     `json:"intact"`
	Events   int      `json:"events"`
	Problems []string `json:"problems"`
	Signers  []struct {
		Event       string `json:"event"`
		Kind        string `json:"kind"`
		Actor       string `json:"actor"`
		Signed      bool   `json:"signed"`
		Verified    bool   `json:"verified"`
		Fingerprint string `json:"fingerprint"`
		Detail      string `json:"detail"`
	} `json:"signers"`
}

func (a *actor) status() testdoc.Status {
	a.r.t.Helper()
	return testdoc.Decode[testdoc.Status](a.r.t, a.ok("status", "-o", "json"))
}

// gate runs `gate -o json args...`, which must exit 0 or 3.
func (a *actor) gate(args ...string) (testdoc.Gate, result) {
	a.r.t.Helper()
	res := a.run(append([]string{"gate", "-o", "json"}, args...)...)
	if res.Code != 0 && res.Code != 3 {
		a.r.t.Fatalf("%s: gate: %s", a.name, res)
	}
	g := testdoc.Decode[testdoc.Gate](a.r.t, res)
	if g.Passed != (res.Code == 0) {
		a.r.t.Errorf("gate says passed=%v and exits %d", g.Passed, res.Code)
	}
	return g, res
}

func (a *actor) audit(args ...string) ([]auditDoc, result) {
	a.r.t.Helper()
	res := a.run(append([]string{"audit", "verify", "-o", "json"}, args...)...)
	if res.Code != 0 && res.Code != 1 {
		a.r.t.Fatalf("%s: audit verify: %s", a.name, res)
	}
	return testdoc.Decode[[]auditDoc](a.r.t, res), res
}

// auditNames asserts that `audit verify args...` exits 1 with a problem
// naming file.
func (a *actor) auditNames(file string, args ...string) string {
	a.r.t.Helper()
	docs, res := a.audit(args...)
	if res.Code != 1 {
		a.r.t.Fatalf("audit verify must fail, naming %s: %s", file, res)
	}
	for _, d := range docs {
		for _, p := range d.Problems {
			if strings.Contains(p, file) {
				return p
			}
		}
	}
	a.r.t.Fatalf("audit verify fails without naming %s: %s", file, res)
	return ""
}

// The state on disk, read and written the way an attacker with write
// access to the repository would: with the package's own encoding.

const relID = "v1.4.0"

func (r *repo) eventsDir(id string) string { return r.path(".octorelease/" + id + "/events") }

// events reads every event file of release id, by file name.
func (r *repo) events(id string) map[string]release.Event {
	r.t.Helper()
	entries, err := os.ReadDir(r.eventsDir(id))
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[string]release.Event{}
	for _, de := range entries {
		if !strings.HasSuffix(de.Name(), ".json") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(r.eventsDir(id), de.Name()))
		if err != nil {
			r.t.Fatal(err)
		}
		e, err := release.DecodeEvent(data)
		if err != nil {
			r.t.Fatalf("%s: %v", de.Name(), err)
		}
		out[de.Name()] = e
	}
	return out
}

// find is the one event of release id that match accepts.
func (r *repo) find(id string, match func(release.Event) bool) (string, release.Event) {
	r.t.Helper()
	var name string
	var ev release.Event
	n := 0
	for f, e := range r.events(id) {
		if match(e) {
			name, ev, n = f, e, n+1
		}
	}
	if n != 1 {
		r.t.Fatalf("%d events match, want 1", n)
	}
	return name, ev
}

func signOf(item, actor string) func(release.Event) bool {
	return func(e release.Event) bool { return e.Kind == release.EventSign && e.Item == item && e.Actor == actor }
}

// heads are the hashes no event of release id names as a parent.
func (r *repo) heads(id string) []string {
	r.t.Helper()
	child := map[string]bool{}
	evs := r.events(id)
	for _, e := range evs {
		for _, p := range e.Parents {
			child[p] = true
		}
	}
	var out []string
	for _, e := range evs {
		if !child[e.Hash] {
			out = append(out, e.Hash)
		}
	}
	slices.Sort(out)
	return out
}

// forge writes e into release id as a well-formed event: parents the
// current heads (unless set), time now (unless set), hash and name from
// its content; signed over its canonical bytes with the private key of
// signWith (unless "") or given the signature sig verbatim. It returns the
// file name.
func (r *repo) forge(id string, e release.Event, signWith, sig string) string {
	r.t.Helper()
	if e.Parents == nil {
		e.Parents = r.heads(id)
	}
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	e.Hash, e.Signature = "", ""
	h, err := e.ComputeHash()
	if err != nil {
		r.t.Fatal(err)
	}
	e.Hash = h
	switch {
	case signWith != "":
		msg, err := e.Canonical()
		if err != nil {
			r.t.Fatal(err)
		}
		e.Signature = sshSign(r.t, privKey(signWith), msg)
	case sig != "":
		e.Signature = sig
	}
	return r.writeEvent(id, e)
}

func (r *repo) writeEvent(id string, e release.Event) string {
	r.t.Helper()
	data, err := release.EncodeEvent(e)
	if err != nil {
		r.t.Fatal(err)
	}
	name := e.FileName()
	writeFile(r.t, filepath.Join(r.eventsDir(id), name), string(data))
	return name
}

// sshSign is `ssh-keygen -Y sign -n octorelease -f key` of msg: what a
// person holding key can produce for any bytes.
func sshSign(t testing.TB, key string, msg []byte) string {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "msg")
	writeFile(t, file, string(msg))
	out, err := exec.Command("ssh-keygen", "-Y", "sign", "-n", "octorelease", "-f", key, file).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen -Y sign: %v\n%s", err, out)
	}
	sig, err := os.ReadFile(file + ".sig")
	if err != nil {
		t.Fatal(err)
	}
	return string(sig)
}

// fingerprint is `ssh-keygen -lf key.pub`'s SHA256 fingerprint.
func fingerprint(t testing.TB, name string) string {
	t.Helper()
	out, err := exec.Command("ssh-keygen", "-lf", pubKey(name)).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen -lf: %v\n%s", err, out)
	}
	return strings.Fields(string(out))[1]
}

// startAgent runs `ssh-agent -D -a SOCK` until the test ends and returns
// SOCK. The socket lives in a short folder: a unix socket path is limited
// to about 100 bytes.
func startAgent(t testing.TB, env []string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "oa")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s")
	cmd := exec.Command("ssh-agent", "-D", "-a", sock)
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		os.RemoveAll(dir)
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, err := os.Stat(sock); err == nil {
			return sock
		}
		if time.Now().After(deadline) {
			t.Fatal("ssh-agent did not create its socket")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sshAdd adds a private key to the agent at sock.
func sshAdd(t testing.TB, env []string, sock, key string) {
	t.Helper()
	cmd := exec.Command("ssh-add", key)
	cmd.Env = append(slices.Clone(env), "SSH_AUTH_SOCK="+sock)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v\n%s", err, out)
	}
}

func mkdir(t testing.TB, d string) {
	t.Helper()
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	mkdir(t, filepath.Dir(path))
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// The default minor release, signed role by role in checklist order: each
// step is one person's `sign` (or `waive`) of some items.
type step struct {
	who   string
	items []string
}

var preRelease = []step{
	{"rm", nil}, // start
	{"dev", []string{"acceptance-criteria"}},
	{"sec", []string{"ci-security-scans"}},
	{"qa", []string{"qa-signoff", "staging-smoke-tests"}},
	{"pm", []string{"release-notes"}},
	{"pj", []string{"release-notes"}},
	{"sre", []string{"rollback-plan", "capacity", "staging-smoke-tests"}},
}

var deploy = []step{
	{"pj", []string{"deployment-window"}},
	{"sre", []string{"backup", "staging-deploy"}},
	{"qa", []string{"staging-deploy"}},
	{"sec", []string{"final-security-review"}},
	{"sre", []string{"production-deploy"}},
	{"sre", []string{"post-deploy-verify", "monitor"}},
	{"qa", []string{"post-deploy-verify"}},
	{"pj", []string{"announce"}},
	{"pm", []string{"announce"}},
}

// start opens 1.4.0 (minor) as the release manager.
func (r *repo) start(args ...string) {
	r.t.Helper()
	r.as("rm").ok(append([]string{"start", "1.4.0", "--type", "minor", "--no-walk"}, args...)...)
}

// play runs the steps (a step with no items is `start`). actorFor may
// replace the actor of a step (to sign through an agent).
func (r *repo) play(steps []step, actorFor func(name string) *actor) {
	r.t.Helper()
	for _, s := range steps {
		a := r.as(s.who)
		if actorFor != nil {
			a = actorFor(s.who)
		}
		if s.items == nil {
			a.ok("start", "1.4.0", "--type", "minor", "--no-walk")
			continue
		}
		a.ok(append([]string{"sign"}, s.items...)...)
	}
}

// sshSignNamespace signs file with key for namespace ns.
func sshSignNamespace(t testing.TB, key, file, ns string) string {
	t.Helper()
	out, err := exec.Command("ssh-keygen", "-Y", "sign", "-n", ns, "-f", key, file).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen -Y sign -n %s: %v\n%s", ns, err, out)
	}
	return readFile(t, file+".sig")
}

// forgedSign is a sign event by actor for role of item, to be completed by
// repo.forge.
func forgedSign(actor, role, item string) release.Event {
	return release.Event{Kind: release.EventSign, Actor: actor, Role: role, Item: item}
}
