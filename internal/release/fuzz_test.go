package release

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
)

// normEvent makes an empty list nil: "evidence": [] and no evidence are
// the same event (the same hash), which one encoding writes.
func normEvent(e Event) Event {
	if len(e.Evidence) == 0 {
		e.Evidence = nil
	}
	if len(e.Revokes) == 0 {
		e.Revokes = nil
	}
	return e
}

// FuzzDecodeEvent feeds arbitrary bytes to the event file parser. It must
// never panic, refuse with an empty event, and whatever it accepts must
// encode, decode again to an equal event with the same hash and name, and
// encode again to the same bytes.
func FuzzDecodeEvent(f *testing.F) {
	for _, e := range busy(f).Events {
		data, err := EncodeEvent(e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		compact, _ := json.Marshal(e)
		f.Add(compact)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := DecodeEvent(data)
		if err != nil {
			if !reflect.DeepEqual(e, Event{}) {
				t.Fatalf("refused (%v) with content %+v", err, e)
			}
			return
		}
		name := e.FileName()
		hash, err := e.ComputeHash()
		if err != nil {
			t.Fatalf("an accepted event has no hash: %v", err)
		}
		out, err := EncodeEvent(e)
		if err != nil {
			t.Fatalf("an accepted event does not encode: %v", err)
		}
		back, err := DecodeEvent(out)
		if err != nil {
			if len(out) > MaxEventSize && len(data) <= MaxEventSize {
				return // escapes and replaced bytes grew it past the limit
			}
			t.Fatalf("the encoding of an accepted event does not decode: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(normEvent(back), normEvent(e)) {
			t.Fatalf("round trip changed the event:\n%+v\n%+v", e, back)
		}
		if h, _ := back.ComputeHash(); h != hash || back.FileName() != name {
			t.Fatalf("round trip changed the hash or name: %s %s → %s %s", hash, name, h, back.FileName())
		}
		if again, _ := EncodeEvent(back); !bytes.Equal(again, out) {
			t.Fatalf("encoding not stable:\n%s\n---\n%s", out, again)
		}
	})
}

// FuzzDecodeHeader feeds arbitrary bytes to the release.json parser.
// Whatever it accepts must round-trip to an equal header with the same
// hash, and a release on it must survive every read-only operation.
func FuzzDecodeHeader(f *testing.F) {
	for _, h := range []Header{busy(f).Header, small(f).Header} {
		data, err := EncodeHeader(h)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(format1))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := DecodeHeader(data)
		if err != nil {
			if !reflect.DeepEqual(h, Header{}) {
				t.Fatalf("refused (%v) with content %+v", err, h)
			}
			return
		}
		hash, err := h.Hash()
		if err != nil {
			t.Fatalf("an accepted header has no hash: %v", err)
		}
		out, err := EncodeHeader(h)
		if err != nil {
			t.Fatalf("an accepted header does not encode: %v", err)
		}
		back, err := DecodeHeader(out)
		if err != nil {
			if len(out) > MaxHeaderSize && len(data) <= MaxHeaderSize {
				return
			}
			t.Fatalf("the encoding of an accepted header does not decode: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(back, h) {
			t.Fatalf("round trip changed the header:\n%+v\n%+v", h, back)
		}
		if h2, _ := back.Hash(); h2 != hash {
			t.Fatal("round trip changed the header hash")
		}
		if again, _ := EncodeHeader(back); !bytes.Equal(again, out) {
			t.Fatalf("encoding not stable:\n%s\n---\n%s", out, again)
		}

		// A release on the header, however odd its checklist.
		start := Event{Kind: EventStart, At: h.Meta.CreatedAt, Actor: h.Meta.CreatedBy, Parents: []string{hash}}
		start.Hash, _ = start.ComputeHash()
		r, damage := Assemble(h, stored([]Event{start}))
		if damage != nil {
			t.Fatalf("a start event on the header: %s", DescribeDamage(damage))
		}
		r.Status()
		v := r.Evaluate(sod)
		for _, p := range v.Phases {
			r.Gate(p.ID, nil, sod) //nolint:errcheck // only must not panic
		}
		r.Gate("", nil, members)                   //nolint:errcheck
		r.Gate("", r.Checklist.ItemIDs(), members) //nolint:errcheck
		r.Actionable("x", "", sod)
		for _, id := range r.Checklist.ItemIDs() {
			_ = r.Sign(SignRequest{Items: []string{id}, Actor: "x", Force: true, Reason: "fuzz", At: h.Meta.CreatedAt}, open)
			_ = r.Waive(ActionRequest{Item: id, Actor: "x", Reason: "fuzz", At: h.Meta.CreatedAt}, open)
			_ = r.Revoke(ActionRequest{Item: id, Actor: "x", Reason: "fuzz", At: h.Meta.CreatedAt}, open)
		}
		r.Evaluate(sod)
		if back, damage := Assemble(h, stored(r.Events)); damage != nil || !slices.Equal(hashes(back.Events), hashes(r.Events)) {
			t.Fatalf("the events recorded do not assemble back: %s", DescribeDamage(damage))
		}
	})
}

// FuzzMergeOrder derives from its input a run of operations on two or
// three clones of a release (sign, waive, revoke, check, status, and
// syncs between clones), then merges every clone's events: listed in any
// order, they must assemble without damage into the same events order and
// the same view, under every policy, with the policy holding.
func FuzzMergeOrder(f *testing.F) {
	for _, s := range []string{"", "0", "merge", "separation", "revoke", "\x00\x01\x02\x03", "status", "check-failed",
		"three clones", "observed remove", "ties", strings.Repeat("z", 64)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { mergeOrder(t, data) })
}

// TestMergeOrder runs FuzzMergeOrder's body on many more inputs than its
// seeds, and makes sure the runs do things worth checking.
func TestMergeOrder(t *testing.T) {
	n := 300
	if testing.Short() || raceEnabled {
		n = 50
	}
	var total mergeStats
	for i := range n {
		s := mergeOrder(t, []byte(strconv.Itoa(i)))
		total.add(s)
	}
	t.Logf("%+v", total)
	if total.recorded < 8*n || total.syncs < 2*n || total.revokes < n || total.conflicts < n || total.statuses < n/2 ||
		n >= 300 && total.ignoredStatus == 0 {
		t.Errorf("the runs do too little: %+v", total)
	}
}

type mergeStats struct {
	recorded, refused, syncs, revokes, conflicts, statuses, ignoredStatus int
}

func (s *mergeStats) add(o mergeStats) {
	s.recorded += o.recorded
	s.refused += o.refused
	s.syncs += o.syncs
	s.revokes += o.revokes
	s.conflicts += o.conflicts
	s.statuses += o.statuses
	s.ignoredStatus += o.ignoredStatus
}

var mergePolicies = []Policy{open, members, sod,
	{Members: map[string][]string{"qa": {"carol", "dave"}, "developer": {"dev"}}, SeparationOfDuties: true}}

func mergeOrder(t *testing.T, data []byte) mergeStats {
	seed := sha256.Sum256(data)
	rng := rand.New(rand.NewChaCha8(seed))
	var st mergeStats

	base := newTest(t)
	switch rng.IntN(4) {
	case 0:
		completePre(t, base)
	case 1:
		completeAll(t, base)
	}
	clones := make([]*Release, 2+rng.IntN(2))
	for i := range clones {
		clones[i] = fork(t, base)
	}
	ids := base.Checklist.ItemIDs()
	roles := []string{"", "", "sre", "qa", "developer", "product-manager"}
	actors := []string{"alice", "bob@example.com", "carol", "dave", "dev", "pam"}
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	for range 10 + rng.IntN(50) {
		c := rng.IntN(len(clones))
		r := clones[c]
		// A few distinct times, so that ties (broken by hash) and clocks
		// that disagree with the parents are common.
		when := at(40 + rng.IntN(6))
		pol := mergePolicies[rng.IntN(len(mergePolicies))]
		var err error
		n := len(r.Events)
		switch op := rng.IntN(20); {
		case op < 7:
			req := SignRequest{Items: []string{pick(ids)}, Role: pick(roles), Actor: pick(actors), At: when, Note: "n"}
			if can := r.Actionable(req.Actor, "", pol); len(can) > 0 && rng.IntN(4) != 0 {
				it := can[rng.IntN(len(can))]
				req.Items, req.Role = []string{it.ID}, pick(it.PendingRoles)
			}
			if rng.IntN(3) == 0 {
				req.Items = append(req.Items, pick(ids))
			}
			if rng.IntN(4) == 0 {
				req.Force, req.Reason = true, "hotfix"
			}
			err = r.Sign(req, pol)
		case op < 9:
			err = r.Waive(ActionRequest{Item: pick([]string{"d", "g", "g", pick(ids)}), Role: pick(roles), Actor: pick(actors), Reason: "n/a", At: when}, pol)
		case op < 12:
			req := ActionRequest{Item: pick(ids), Role: pick(roles), Actor: pick(actors), Reason: "redo", At: when}
			var signed []Signoff
			for _, ph := range r.Evaluate(pol).Phases {
				for _, it := range ph.Items {
					signed = append(signed, it.Signoffs...)
				}
			}
			if len(signed) > 0 && rng.IntN(4) != 0 {
				s := signed[rng.IntN(len(signed))]
				req.Item, req.Role = itemOf(r, s.Event), s.Role
				if rng.IntN(2) == 0 {
					req.Actor = s.By
				}
			}
			err = r.Revoke(req, pol)
			if err == nil {
				st.revokes++
			}
		case op < 14:
			err = r.RecordCheck("c", "ci", when, checkResult("c", rng.IntN(3) != 0))
		case op < 15:
			if rng.IntN(2) == 0 {
				err = r.SetStatus(StatusAborted, pick(actors), "stop", when, pol)
			} else {
				err = r.SetStatus(StatusReleased, pick(actors), "", when, pol)
			}
			if err == nil {
				st.statuses++
			}
		case op < 16:
			// A tool that skipped the rules: a sign-off the policy may refuse.
			err = r.appendEvent(Event{Kind: EventSign, At: when, Actor: pick(actors), Role: pick(roles[2:]), Item: pick(ids)})
		default:
			o := rng.IntN(len(clones))
			if o == c {
				continue
			}
			clones[c] = assemble(t, r.Header, stored(union(r, clones[o])))
			st.syncs++
			continue
		}
		if err != nil {
			st.refused++
			if len(r.Events) != n {
				t.Fatalf("a refused operation (%v) recorded events", err)
			}
		} else {
			st.recorded++
		}
	}

	all := union(clones...)
	type result struct {
		order string
		views []string
	}
	var want *result
	for p := range 6 {
		events := all
		if p > 0 {
			events = shuffled(rng, all)
		}
		r := assemble(t, base.Header, stored(events))
		got := &result{order: strings.Join(hashes(r.Events), " ")}
		for _, pol := range mergePolicies {
			v := r.Evaluate(pol)
			g, err := r.Gate("", nil, pol)
			if err != nil {
				t.Fatal(err)
			}
			got.views = append(got.views, fmt.Sprintf("%s\n%s\n%s %v %s", dump(t, v), dump(t, g),
				r.OwnStatus(), hashes(r.IgnoredStatusEvents()), dump(t, r.Actionable("carol", "", pol))))
			if p == 0 {
				policyHolds(t, v, pol)
				for _, ph := range v.Phases {
					for _, it := range ph.Items {
						if it.Conflicted() {
							st.conflicts++
						}
					}
				}
			}
		}
		if p == 0 {
			st.ignoredStatus += len(r.IgnoredStatusEvents())
			want = got
			continue
		}
		if got.order != want.order {
			t.Fatalf("permutation %d: events in another order", p)
		}
		for i := range got.views {
			if got.views[i] != want.views[i] {
				t.Fatalf("permutation %d, policy %+v: another view\n%s\n---\n%s", p, mergePolicies[i], want.views[i], got.views[i])
			}
		}
	}
	return st
}

// itemOf is the item of r's event with the hash.
func itemOf(r *Release, hash string) string {
	for _, e := range r.Events {
		if e.Hash == hash {
			return e.Item
		}
	}
	return ""
}

// policyHolds checks a view against SPEC §6: no counted sign-off breaks
// the policy, and every one that is not counted says why.
func policyHolds(t *testing.T, v View, pol Policy) {
	t.Helper()
	for _, ph := range v.Phases {
		for _, it := range ph.Items {
			byActorRole := map[string]bool{}
			rolesOf := map[string]map[string]bool{}
			for _, s := range it.Signoffs {
				if !s.Counted {
					if s.Conflict == "" {
						t.Errorf("%s: sign-off %+v not counted and no conflict", it.ID, s)
					}
					continue
				}
				if s.Conflict != "" {
					t.Errorf("%s: counted sign-off with a conflict %+v", it.ID, s)
				}
				if !pol.MaySign(s.By, s.Role) {
					t.Errorf("%s: counted sign-off by non-member %+v", it.ID, s)
				}
				who := strings.ToLower(s.By)
				if byActorRole[who+"/"+s.Role] {
					t.Errorf("%s: %s counted twice for %s", it.ID, s.By, s.Role)
				}
				byActorRole[who+"/"+s.Role] = true
				if rolesOf[who] == nil {
					rolesOf[who] = map[string]bool{}
				}
				rolesOf[who][s.Role] = true
				if pol.SeparationOfDuties && len(rolesOf[who]) > 1 {
					t.Errorf("%s: %s counted for roles %v under separation of duties", it.ID, s.By, rolesOf[who])
				}
			}
		}
	}
}

// small returns a compact release with one event of every kind, for the
// byte-flip test: two phases of one item each, a check with a timeout.
func small(tb testing.TB) *Release {
	tb.Helper()
	cl := smallChecklist()
	r := mustNew(tb, Meta{ID: "v1.0.1", Version: "1.0.1", Type: TypePatch, CreatedAt: t0, CreatedBy: "al"}, cl)
	steps := []error{
		r.Sign(SignRequest{Items: []string{"y"}, Role: "sre", Actor: "bo", Force: true, Reason: "r", Note: "n", Evidence: []string{"u"}, At: at(1)}, open),
		r.Revoke(ActionRequest{Item: "y", Role: "sre", Actor: "bo", Reason: "r", At: at(2)}, open),
		r.RecordCheck("x", "ci", at(3), CheckResult{Command: "./x.sh", Passed: true, ExitCode: 0, DurationMS: 5, OutputSHA256: "ab", OutputTail: "t"}),
		r.Sign(SignRequest{Items: []string{"x"}, Actor: "qq", At: at(4)}, open),
		r.Waive(ActionRequest{Item: "y", Actor: "bo", Reason: "r", At: at(5)}, open),
		r.SetStatus(StatusAborted, "al", "r", at(6), open),
	}
	for _, err := range steps {
		if err != nil {
			tb.Fatal(err)
		}
	}
	return r
}

func smallChecklist() checklist.Checklist {
	return checklist.Checklist{Name: "p", Source: "embedded", Phases: []checklist.Phase{
		{ID: "p1", Title: "One", Items: []checklist.Item{{ID: "x", Title: "X", Roles: []string{"qa"},
			Check: &checklist.Check{Run: "./x.sh", Timeout: checklist.Duration(90 * time.Second)}}}},
		{ID: "p2", Title: "Two", Items: []checklist.Item{{ID: "y", Title: "Y", Roles: []string{"sre"}, Optional: true, Needs: []string{"x"}}}},
	}}
}

// corpusValue reads a seed file of the go test fuzz v1 format holding one
// []byte.
func corpusValue(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	header, body, ok := strings.Cut(string(data), "\n")
	body = strings.TrimSpace(body)
	if !ok || header != "go test fuzz v1" || !strings.HasPrefix(body, "[]byte(") || !strings.HasSuffix(body, ")") {
		t.Fatalf("%s is not a go test fuzz v1 []byte seed", path)
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(body, "[]byte("), ")"))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []byte(s)
}

// TestFuzzCorpus keeps the seed corpora honest: a seed named accept-* is
// accepted, one named reject-* refused with the error its name promises.
func TestFuzzCorpus(t *testing.T) {
	decoders := map[string]func([]byte) error{
		"FuzzDecodeEvent":  func(b []byte) error { _, err := DecodeEvent(b); return err },
		"FuzzDecodeHeader": func(b []byte) error { _, err := DecodeHeader(b); return err },
	}
	want := map[string]string{ // reject seed → a fragment of its error
		"reject-duplicate-key":        "duplicate key",
		"reject-duplicate-nested-key": "duplicate key",
		"reject-trailing-data":        "trailing data",
		"reject-time-offset":          "UTC",
		"reject-no-parents":           "no parents",
		"reject-unknown-kind":         "unknown kind",
		"reject-unknown-field":        "unknown field",
		"reject-deep-nesting":         "invalid",
		"reject-huge-number":          "invalid",
		"reject-nul":                  "invalid",
		"reject-format-1":             "a format-1 state file",
		"reject-future-format":        "newer octorelease",
		"reject-empty":                "invalid",
	}
	for name, decode := range decoders {
		files, err := filepath.Glob(filepath.Join("testdata", "fuzz", name, "*"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) < 5 {
			t.Errorf("%s: %d seeds", name, len(files))
		}
		for _, path := range files {
			seed := filepath.Base(path)
			err := decode(corpusValue(t, path))
			switch {
			case strings.HasPrefix(seed, "accept-"):
				if err != nil {
					t.Errorf("%s/%s: %v", name, seed, err)
				}
			case strings.HasPrefix(seed, "reject-"):
				frag, ok := want[seed]
				if !ok {
					t.Errorf("%s/%s: no expected error listed", name, seed)
				}
				if err == nil || !strings.Contains(err.Error(), frag) {
					t.Errorf("%s/%s: error %v, want %q", name, seed, err, frag)
				}
			}
		}
	}
}
