package checklist

import (
	"bufio"
	"bytes"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/octorelease/octorelease/checklists"
)

// specItem is one row of a SPEC §3 table.
type specItem struct {
	phase, id, title string
	roles            []string
	optional         bool
	needs            []string
}

// The tables of SPEC §3, row for row.
var (
	specPreRelease = []specItem{
		{"pre-release", "acceptance-criteria", "All acceptance criteria met and PRs merged", []string{"developer"}, false, nil},
		{"pre-release", "ci-security-scans", "Passing CI and security scans", []string{"security"}, false, nil},
		{"pre-release", "qa-signoff", "QA sign-off completed", []string{"qa"}, false, nil},
		{"pre-release", "release-notes", "Release notes drafted", []string{"product-manager", "project-manager"}, false, nil},
		{"pre-release", "rollback-plan", "Rollback / mitigation plan documented", []string{"sre"}, false, nil},
		{"pre-release", "staging-smoke-tests", "Smoke tests prepared and validated in staging", []string{"qa", "sre"}, false, nil},
		{"pre-release", "capacity", "Infrastructure capacity confirmed", []string{"sre"}, false, nil},
	}
	specDeploy = []specItem{
		{"deploy", "deployment-window", "Deployment window scheduled", []string{"project-manager"}, true, nil},
		{"deploy", "backup", "Backup or snapshot", []string{"sre"}, true, nil},
		{"deploy", "staging-deploy", "Deploy to staging and run smoke tests", []string{"sre", "qa"}, false, nil},
		{"deploy", "final-security-review", "Final security scan review", []string{"security"}, false, nil},
		{"deploy", "production-deploy", "Deploy to production (automated pipeline preferred)", []string{"sre"}, false, []string{"staging-deploy", "final-security-review"}},
		{"deploy", "post-deploy-verify", "Run post-deploy verifications", []string{"sre", "qa"}, false, []string{"production-deploy"}},
		{"deploy", "monitor", "Monitor error rates and performance metrics", []string{"sre"}, false, []string{"production-deploy"}},
		{"deploy", "announce", "Announce release to stakeholders and support", []string{"project-manager", "product-manager"}, false, []string{"post-deploy-verify"}},
	}
	specIncident = []specItem{
		{"", "incident-response", "Trigger incident response and notify on-call", []string{"sre"}, false, nil},
		{"", "stakeholder-comms", "Coordinate stakeholder communication", []string{"project-manager"}, false, nil},
		{"", "rollback", "Roll back to the last known-good release", []string{"sre"}, true, nil},
		{"", "root-cause", "Triage root cause", []string{"developer", "sre"}, false, nil},
		{"", "security-assessment", "Assess whether the incident has security implications", []string{"security"}, false, nil},
		{"", "fix-validation", "Validate fixes and regression test before redeployment", []string{"qa"}, false, nil},
		{"", "postmortem", "Capture action items and schedule postmortem", []string{"project-manager"}, false, nil},
		{"", "customer-impact", "Communicate customer impact and remediation timeline", []string{"product-manager"}, false, nil},
	}
)

func embeddedLoader() *Loader { return &Loader{Embedded: checklists.FS} }

func mustLoad(t *testing.T, l *Loader, name string) *Checklist {
	t.Helper()
	cl, err := l.Load(name)
	if err != nil {
		t.Fatalf("Load(%q): %v", name, err)
	}
	return cl
}

// itemsByID flattens a checklist, remembering each item's phase.
func itemsByID(cl *Checklist) map[string]specItem {
	m := map[string]specItem{}
	for _, p := range cl.Phases {
		for _, it := range p.Items {
			m[it.ID] = specItem{p.ID, it.ID, it.Title, it.Roles, it.Optional, it.Needs}
		}
	}
	return m
}

func checkRow(t *testing.T, name string, got map[string]specItem, want specItem) {
	t.Helper()
	g, ok := got[want.id]
	if !ok {
		t.Errorf("%s: item %q missing", name, want.id)
		return
	}
	if want.phase != "" && g.phase != want.phase {
		t.Errorf("%s/%s: phase %q, want %q", name, want.id, g.phase, want.phase)
	}
	if g.title != want.title {
		t.Errorf("%s/%s: title %q, want %q", name, want.id, g.title, want.title)
	}
	if !slices.Equal(g.roles, want.roles) {
		t.Errorf("%s/%s: roles %v, want %v", name, want.id, g.roles, want.roles)
	}
	if g.optional != want.optional {
		t.Errorf("%s/%s: optional %v, want %v", name, want.id, g.optional, want.optional)
	}
	if !slices.Equal(g.needs, nonNil(want.needs)) {
		t.Errorf("%s/%s: needs %v, want %v", name, want.id, g.needs, want.needs)
	}
}

// TestDefaultsMatchSpec checks the embedded checklists against SPEC §3 item
// for item, including the documented differences between release types.
func TestDefaultsMatchSpec(t *testing.T) {
	l := embeddedLoader()
	extras := map[string][]specItem{
		"minor": nil,
		"patch": {
			{"pre-release", "production-issue", "Production issue this hotfix fixes is linked", []string{"developer"}, false, nil},
		},
		"major": {
			{"pre-release", "migration-steps", "Migration steps documented", []string{"developer"}, false, nil},
			{"pre-release", "breaking-change-comms", "Breaking changes communicated to customers and support", []string{"product-manager"}, false, nil},
		},
	}
	for name, extra := range extras {
		t.Run(name, func(t *testing.T) {
			cl := mustLoad(t, l, name)
			if cl.Source != SourceEmbedded {
				t.Errorf("source %q, want embedded", cl.Source)
			}
			var phases []string
			for _, p := range cl.Phases {
				phases = append(phases, p.ID+": "+p.Title)
			}
			if want := []string{"pre-release: Pre-release requirements", "deploy: Deployment checklist"}; !slices.Equal(phases, want) {
				t.Errorf("phases %v, want %v", phases, want)
			}
			want := slices.Concat(specPreRelease, specDeploy)
			if name == "major" {
				// Documented difference: a major release requires the window and the backup.
				want = slices.Clone(want)
				for i := range want {
					if want[i].id == "deployment-window" || want[i].id == "backup" {
						want[i].optional = false
					}
				}
			}
			want = append(want, extra...)
			got := itemsByID(cl)
			for _, w := range want {
				checkRow(t, name, got, w)
			}
			if len(got) != len(want) {
				t.Errorf("%d items, want %d: %v", len(got), len(want), cl.ItemIDs())
			}
			// The SPEC rows keep their order; extras are appended to their phase.
			var specOrder []string
			for _, id := range cl.ItemIDs() {
				if slices.ContainsFunc(want[:len(specPreRelease)+len(specDeploy)], func(s specItem) bool { return s.id == id }) {
					specOrder = append(specOrder, id)
				}
			}
			var wantOrder []string
			for _, s := range slices.Concat(specPreRelease, specDeploy) {
				wantOrder = append(wantOrder, s.id)
			}
			if !slices.Equal(specOrder, wantOrder) {
				t.Errorf("order %v, want %v", specOrder, wantOrder)
			}
		})
	}
	t.Run("incident", func(t *testing.T) {
		cl := mustLoad(t, l, "incident")
		got := itemsByID(cl)
		for _, w := range specIncident {
			checkRow(t, "incident", got, w)
		}
		if len(got) != len(specIncident) {
			t.Errorf("%d items, want %d: %v", len(got), len(specIncident), cl.ItemIDs())
		}
	})
}

// TestDefaultsHaveHelp: every default item explains itself to a newcomer.
func TestDefaultsHaveHelp(t *testing.T) {
	l := embeddedLoader()
	for _, name := range []string{"base", "patch", "minor", "major", "incident"} {
		cl := mustLoad(t, l, name)
		if cl.Description == "" {
			t.Errorf("%s: no description", name)
		}
		for _, p := range cl.Phases {
			for _, it := range p.Items {
				if n := len(strings.TrimSpace(it.Help)); n < 40 || n > 400 {
					t.Errorf("%s/%s: help is %d characters, want a sentence or two", name, it.ID, n)
				}
			}
		}
	}
}

// seedRoles maps the guide's role names to role ids (SPEC §2).
var seedRoles = map[string]string{
	"SRE/DevOps":       "sre",
	"QA/Test Engineer": "qa",
	"Security Lead":    "security",
	"Product Manager":  "product-manager",
	"Project Manager":  "project-manager",
	"Developer":        "developer",
}

// seedLines maps every checklist line of the guide to the items that carry
// it. For "Roles in Incident Response" lines the role must be among each
// item's roles; for the others the item's roles must be exactly the line's.
var seedLines = map[string][]string{
	"All acceptance criteria met and PRs merged":                                                 {"release:acceptance-criteria"},
	"Passing CI and security scans (validated by **Security Lead**)":                             {"release:ci-security-scans"},
	"QA sign-off completed (**QA/Test Engineer**)":                                               {"release:qa-signoff"},
	"Release notes drafted (**Product Manager** and **Project Manager**)":                        {"release:release-notes"},
	"Rollback / mitigation plan documented (**SRE/DevOps**)":                                     {"release:rollback-plan"},
	"Smoke tests prepared and validated in staging (**QA/Test Engineer** and **SRE/DevOps**)":    {"release:staging-smoke-tests"},
	"Infrastructure capacity confirmed (**SRE/DevOps**)":                                         {"release:capacity"},
	"Deployment window scheduled (if needed) — **Project Manager**":                              {"release:deployment-window"},
	"Backup or snapshot (if applicable) — **SRE/DevOps**":                                        {"release:backup"},
	"Deploy to staging and run smoke tests — **SRE/DevOps** and **QA/Test Engineer**":            {"release:staging-deploy"},
	"Final security scan review — **Security Lead**":                                             {"release:final-security-review"},
	"Deploy to production (automated pipeline preferred) — **SRE/DevOps**":                       {"release:production-deploy"},
	"Run post-deploy verifications — **SRE/DevOps** and **QA/Test Engineer**":                    {"release:post-deploy-verify"},
	"Monitor error rates and performance metrics — **SRE/DevOps**":                               {"release:monitor"},
	"Announce release to stakeholders and support — **Project Manager** and **Product Manager**": {"release:announce"},
	"If a deployment fails or causes a critical issue:":                                          {}, // the playbook's trigger: the incident checklist itself
	"**SRE/DevOps** triggers incident response and notifies on-call":                             {"incident:incident-response"},
	"**Project Manager** coordinates stakeholder communication":                                  {"incident:stakeholder-comms"},
	"**SRE/DevOps** rollback to last known-good release if necessary":                            {"incident:rollback"},
	"**Developer** and **SRE/DevOps** triage root cause":                                         {"incident:root-cause"},
	"**Security Lead** assesses if incident has security implications":                           {"incident:security-assessment"},
	"**Project Manager** captures action items and schedules postmortem":                         {"incident:postmortem"},
	"**Product Manager** communicates customer impact and remediation timeline":                  {"incident:customer-impact"},
	"**SRE/DevOps**: Lead technical response, execute rollback, coordinate recovery":             {"incident:incident-response", "incident:rollback"},
	"**Developer**: Debug issues, implement fixes, support root cause analysis":                  {"incident:root-cause"},
	"**QA/Test Engineer**: Validate fixes and regression test before redeployment":               {"incident:fix-validation"},
	"**Security Lead**: Assess security impact, coordinate security response if needed":          {"incident:security-assessment"},
	"**Project Manager**: Manage communications, document timeline, track action items":          {"incident:stakeholder-comms", "incident:postmortem"},
	"**Product Manager**: Assess customer impact, prioritize remediation work":                   {"incident:customer-impact"},
}

var boldRole = regexp.MustCompile(`\*\*([^*]+)\*\*`)

// TestSeedGuideRepresented reads the seed guide (SPEC §1) and checks that
// every checklist line and role in it is carried by the default checklists
// with the same roles.
func TestSeedGuideRepresented(t *testing.T) {
	data, err := os.ReadFile("testdata/release-guide.md")
	if err != nil {
		t.Fatal(err)
	}
	l := embeddedLoader()
	lists := map[string][]*Checklist{
		"release":  {mustLoad(t, l, "patch"), mustLoad(t, l, "minor"), mustLoad(t, l, "major")},
		"incident": {mustLoad(t, l, "incident")},
	}
	checked := map[string]bool{}
	rolesSeen := map[string]bool{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			section = strings.TrimSpace(strings.TrimLeft(line, "#"))
			continue
		}
		switch section {
		case "Pre-release requirements", "Deployment Checklist", "Rollback & Incident Playbook", "Roles in Incident Response":
		default:
			continue
		}
		text := strings.TrimSpace(line)
		if !strings.HasPrefix(text, "- ") {
			continue
		}
		text = strings.TrimPrefix(strings.TrimPrefix(text, "- "), "[ ] ")
		targets, ok := seedLines[text]
		if !ok {
			t.Errorf("guide line %q (%s) is not mapped to a checklist item", text, section)
			continue
		}
		checked[text] = true
		var roles []string
		for _, m := range boldRole.FindAllStringSubmatch(text, -1) {
			id, ok := seedRoles[m[1]]
			if !ok {
				t.Errorf("guide line %q: unknown role %q", text, m[1])
			}
			roles = append(roles, id)
			rolesSeen[id] = true
		}
		for _, target := range targets {
			kind, id, _ := strings.Cut(target, ":")
			for _, cl := range lists[kind] {
				it, _, ok := cl.Item(id)
				if !ok {
					t.Errorf("%s: no item %q for guide line %q", cl.Name, id, text)
					continue
				}
				if section == "Roles in Incident Response" {
					for _, r := range roles {
						if !slices.Contains(it.Roles, r) {
							t.Errorf("%s/%s: role %s of guide line %q missing (roles %v)", cl.Name, id, r, text, it.Roles)
						}
					}
				} else if len(roles) > 0 && !sameSet(roles, it.Roles) {
					t.Errorf("%s/%s: roles %v, guide line %q says %v", cl.Name, id, it.Roles, text, roles)
				}
			}
		}
	}
	for line := range seedLines {
		if !checked[line] {
			t.Errorf("mapped line %q not found in the guide", line)
		}
	}
	for name, id := range seedRoles {
		if !rolesSeen[id] {
			t.Errorf("role %s (%s) never appears in the guide's lines", name, id)
		}
		if !slices.Contains(BuiltinRoles(), id) {
			t.Errorf("role %s (%s) is not built in", name, id)
		}
	}
}

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// TestReleaseNotesTemplateEmbedded checks the template is embedded and uses
// every field of the seed's release-notes section. Rendering it (with the
// notes command's functions) is tested by the notes package.
func TestReleaseNotesTemplateEmbedded(t *testing.T) {
	src, err := checklists.FS.ReadFile("release-notes.md.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{".Name", ".Version", ".Date", ".Summary", ".Changes", ".Migration", ".KnownIssues"} {
		if !bytes.Contains(src, []byte(field)) {
			t.Errorf("template does not use %s", field)
		}
	}
}
