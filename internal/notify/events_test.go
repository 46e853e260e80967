package notify

import (
	"bytes"
	"encoding/json"
	"github.com/octorelease/octorelease/internal/golden"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/config"
	"github.com/octorelease/octorelease/internal/release"
)

var at = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// testChecklist has a title that needs Slack's escaping and a role with
// members, one without.
var testChecklist = checklist.Checklist{Name: "tiny", Source: checklist.SourceEmbedded, Phases: []checklist.Phase{
	{ID: "pre", Title: "Pre-release", Items: []checklist.Item{
		{ID: "notes", Title: "Release notes", Roles: []string{"developer"}},
		{ID: "qa-signoff", Title: "QA <script>alert(1)</script> & smoke <!channel>", Roles: []string{"qa", "sre"}},
	}},
	{ID: "deploy", Title: "Deployment", Items: []checklist.Item{
		{ID: "production", Title: "Deploy to production", Roles: []string{"sre"}},
	}},
}}

var incidentChecklist = checklist.Checklist{Name: "incident", Source: checklist.SourceEmbedded, Phases: []checklist.Phase{
	{ID: "response", Title: "Incident response", Items: []checklist.Item{
		{ID: release.RollbackItem, Title: "Roll back", Roles: []string{"sre"}, Optional: true},
	}},
}}

func testSource() Source {
	members := map[string][]string{"qa": {"carol", "dave@example.com"}, "sre": {"bob & co"}}
	names := map[string]string{"developer": "Developer", "qa": "QA/Test Engineer", "sre": "SRE/DevOps"}
	return Source{Actor: "alice <alice@example.com>", At: at, Role: func(id string) (string, []string) {
		return names[id], members[id]
	}}
}

func newRelease(t *testing.T, meta release.Meta, cl checklist.Checklist) *release.Release {
	t.Helper()
	meta.CreatedAt, meta.CreatedBy = at, "alice"
	r, err := release.New(meta, cl)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// snapshot is r as it is now, unchanged by what r records later.
func snapshot(r *release.Release) *release.Release {
	s := *r
	s.Events = r.Events[:len(r.Events):len(r.Events)]
	return &s
}

func sign(t *testing.T, r *release.Release, item, role string) {
	t.Helper()
	if err := r.Sign(release.SignRequest{Items: []string{item}, Role: role, Actor: "alice", At: at}, release.Policy{}); err != nil {
		t.Fatal(err)
	}
}

func events(ps []Payload) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.Event)
	}
	return out
}

// eventPayloads produces one payload of each kind from a release's life.
func eventPayloads(t *testing.T) map[string]Payload {
	t.Helper()
	src := testSource()
	out := map[string]Payload{}
	keep := func(ps []Payload, want ...string) {
		t.Helper()
		if got := events(ps); !reflect.DeepEqual(got, want) {
			t.Fatalf("events %v, want %v", got, want)
		}
		for _, p := range ps {
			out[p.Event] = p
		}
	}
	r := newRelease(t, release.Meta{ID: "v1.4.0", Version: "1.4.0", Type: "minor", Commit: "0123456789abcdef0123456789abcdef01234567"}, testChecklist)
	keep(src.Changes(nil, r), Waiting)

	g, err := r.Gate("pre", nil, release.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	out[GateBlocked] = src.GateBlocked(r, g, nil)

	sign(t, r, "notes", "developer")
	sign(t, r, "qa-signoff", "qa")
	before := snapshot(r)
	sign(t, r, "qa-signoff", "sre")
	keep(src.Changes(before, r), Waiting, PhaseComplete) // production opens for sre
	out["waiting-next"], out[Waiting] = out[Waiting], src.Changes(nil, newRelease(t, r.Meta, testChecklist))[0]

	sign(t, r, "production", "sre")
	before = snapshot(r)
	if err := r.SetStatus(release.StatusReleased, "alice", "", at, release.Policy{}); err != nil {
		t.Fatal(err)
	}
	keep(src.Changes(before, r), Released)

	run := newRelease(t, release.Meta{ID: "v1.4.0-incident-1", Version: "1.4.0", Type: "incident", Parent: "v1.4.0",
		Summary: "checkout errors at 5% <after> deploy"}, incidentChecklist)
	out[Incident] = src.IncidentOpened(r, run)
	if got := out[Incident].Release.Status; got != release.StatusIncident {
		t.Errorf("incident: release status %s, want incident", got)
	}
	before = snapshot(run)
	sign(t, run, release.RollbackItem, "sre")
	r.Runs = []*release.Release{run}
	rb := src.RolledBack(r, before, run)
	if rb == nil {
		t.Fatal("no rolled-back event")
	}
	out[RolledBack] = *rb
	return out
}

// TestPayloadGolden pins the JSON and the Slack body of every event kind
// (docs/notifications.md documents them).
func TestPayloadGolden(t *testing.T) {
	payloads := eventPayloads(t)
	for _, name := range append(append([]string{}, Events...), "waiting-next") {
		p, ok := payloads[name]
		if !ok {
			t.Fatalf("no %s payload", name)
		}
		for _, format := range []string{FormatJSON, FormatSlack} {
			body, err := Body(format, p)
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, body, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			golden.Check(t, filepath.Join("testdata", "TestPayloadGolden", name+"."+format+".golden"), pretty.Bytes())
		}
	}
}

// TestSlackEscaping: text from files and people cannot make links or
// mentions; the escaping follows Slack's three rules and nothing more.
func TestSlackEscaping(t *testing.T) {
	if got, want := SlackEscape(`<script>&amp; "*bold*" <!channel> @here`), `&lt;script&gt;&amp;amp; "*bold*" &lt;!channel&gt; @here`; got != want {
		t.Errorf("SlackEscape = %q, want %q", got, want)
	}
	p := eventPayloads(t)[Waiting]
	body, err := Body(FormatSlack, p)
	if err != nil {
		t.Fatal(err)
	}
	var msg SlackMessage
	if err := json.Unmarshal(body, &msg); err != nil {
		t.Fatal(err)
	}
	for _, b := range append([]SlackBlock{{Text: SlackText{Text: msg.Text}}}, msg.Blocks...) {
		if strings.ContainsAny(b.Text.Text, "<>") || strings.Contains(strings.ReplaceAll(b.Text.Text, "&amp;", ""), "&") &&
			!strings.Contains(b.Text.Text, "&lt;") {
			t.Errorf("unescaped text in a Slack block: %q", b.Text.Text)
		}
	}
	if !strings.Contains(msg.Blocks[1].Text.Text, "QA &lt;script&gt;alert(1)&lt;/script&gt; &amp; smoke &lt;!channel&gt;") {
		t.Errorf("title not escaped as expected: %q", msg.Blocks[1].Text.Text)
	}
}

// TestSlackLongList: a long list is cut to whole lines under Slack's
// limit for a section.
func TestSlackLongList(t *testing.T) {
	for _, tc := range []struct {
		title string
		left  string
	}{
		{"short", "… and 480 more"},                  // 20 lines at most
		{strings.Repeat("&", 100), "… and 495 more"}, // 5 lines of 520 bytes
	} {
		p := Payload{Event: GateBlocked, Release: Release{ID: "v1"}, Gate: &Gate{}}
		for range 500 {
			p.Blockers = append(p.Blockers, Blocker{Item: "item", Title: tc.title, Reason: "unsigned"})
		}
		text := Slack(p).Blocks[1].Text.Text
		if len(text) > 3000 || !strings.HasSuffix(text, "\n"+tc.left) || strings.Contains(text, "&amp;&amp;\n") {
			t.Errorf("%d bytes, ending %q, want %q", len(text), text[len(text)-40:], tc.left)
		}
	}
}

// TestChanges covers the comparisons: what was pending stays quiet, a
// revoke makes its item actionable again, an incident run's phases are
// reported like any release's, and a second rollback says nothing.
func TestChanges(t *testing.T) {
	src := testSource()
	r := newRelease(t, release.Meta{ID: "v1.0.0", Version: "1.0.0", Type: "minor"}, testChecklist)
	before := snapshot(r)
	sign(t, r, "qa-signoff", "qa")
	if ps := src.Changes(before, r); len(ps) != 0 {
		t.Errorf("signing a pending item: %v, want no event", events(ps))
	}
	before = snapshot(r)
	if err := r.Revoke(release.ActionRequest{Item: "qa-signoff", Role: "qa", Actor: "alice", Reason: "regression", At: at}, release.Policy{}); err != nil {
		t.Fatal(err)
	}
	ps := src.Changes(before, r)
	if got := events(ps); !reflect.DeepEqual(got, []string{Waiting}) {
		t.Fatalf("revoke: %v, want [waiting]", got)
	}
	if roles := ps[0].Roles; len(roles) != 1 || roles[0].ID != "qa" || len(roles[0].Items) != 1 || roles[0].Items[0].ID != "qa-signoff" {
		t.Errorf("revoke: roles %+v", roles)
	}
	if got := src.Changes(snapshot(r), r); len(got) != 0 {
		t.Errorf("no write: %v", events(got))
	}

	parent := newRelease(t, release.Meta{ID: "v1.0.0", Version: "1.0.0", Type: "minor"}, testChecklist)
	first := newRelease(t, release.Meta{ID: "v1.0.0-incident-1", Version: "1.0.0", Type: "incident", Parent: "v1.0.0"}, incidentChecklist)
	sign(t, first, release.RollbackItem, "sre")
	second := newRelease(t, release.Meta{ID: "v1.0.0-incident-2", Version: "1.0.0", Type: "incident", Parent: "v1.0.0"}, incidentChecklist)
	before = snapshot(second)
	sign(t, second, release.RollbackItem, "sre")
	parent.Runs = []*release.Release{first, second}
	if p := src.RolledBack(parent, before, second); p != nil {
		t.Errorf("a release rolled back already: %+v", p)
	}
	parent.Runs = []*release.Release{second}
	if p := src.RolledBack(parent, snapshot(second), second); p != nil {
		t.Errorf("no change: %+v", p)
	}
	// The run's own phase completed: reported with the run as the release.
	ps = src.Changes(before, second)
	if got := events(ps); !reflect.DeepEqual(got, []string{PhaseComplete}) || ps[0].Release.Parent != "v1.0.0" {
		t.Errorf("run: %v %+v", got, ps)
	}
}

// TestEventNames: the config accepts exactly the events this package sends.
func TestEventNames(t *testing.T) {
	if !reflect.DeepEqual(Events, config.NotifyEvents) {
		t.Errorf("notify.Events %v, config.NotifyEvents %v", Events, config.NotifyEvents)
	}
	if FormatJSON != config.NotifyJSON || FormatSlack != config.NotifySlack {
		t.Error("formats differ from the config's")
	}
}
