package release

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
)

// busy returns a release with one event of every kind.
func busy(tb testing.TB) *Release {
	tb.Helper()
	r := newTest(tb)
	completePre(tb, r)
	if err := r.Waive(ActionRequest{Item: "d", Role: "sre", Actor: "bob", Reason: "no db", At: at(20)}, open); err != nil {
		tb.Fatal(err)
	}
	if err := r.Sign(SignRequest{Items: []string{"f"}, Role: "qa", Actor: "carol", Force: true, Reason: "hotfix",
		Note: "a & b <c>", Evidence: []string{"https://ci.example.com/run?id=1&x=2"}, At: at(21)}, open); err != nil {
		tb.Fatal(err)
	}
	if err := r.Revoke(ActionRequest{Item: "f", Role: "qa", Actor: "carol", Reason: "oops", At: at(22)}, open); err != nil {
		tb.Fatal(err)
	}
	if err := r.SetStatus(StatusAborted, "alice", "cancelled", at(23), open); err != nil {
		tb.Fatal(err)
	}
	return r
}

// eventOf returns the first event of the kind.
func eventOf(tb testing.TB, r *Release, kind string) Event {
	tb.Helper()
	for _, e := range r.Events {
		if e.Kind == kind {
			return e
		}
	}
	tb.Fatalf("no %s event", kind)
	return Event{}
}

func TestNew(t *testing.T) {
	cl := testChecklist()
	cl.Phases[0].Items[0].Needs = nil
	cl.Phases[0].Items[1].Roles = nil
	meta := testMeta()
	meta.CreatedAt = time.Date(2026, 11, 25, 11, 0, 0, 5, time.FixedZone("CET", 3600))
	r := mustNew(t, meta, cl)
	if r.Format != 2 || r.Migrated != nil {
		t.Errorf("format %d, migrated %+v", r.Format, r.Migrated)
	}
	if r.Meta.CreatedAt.Location() != time.UTC || !r.Meta.CreatedAt.Equal(meta.CreatedAt) {
		t.Errorf("created_at %v not normalised to UTC", r.Meta.CreatedAt)
	}
	if len(r.Events) != 1 || len(r.Pending()) != 1 {
		t.Fatalf("%d events (%d pending), want the start event, pending", len(r.Events), len(r.Pending()))
	}
	hh, err := r.Header.Hash()
	if err != nil {
		t.Fatal(err)
	}
	e := r.Events[0]
	if e.Kind != EventStart || e.Actor != "alice" || !e.At.Equal(meta.CreatedAt) || e.At.Location() != time.UTC ||
		!slices.Equal(e.Parents, []string{hh}) {
		t.Errorf("start event %+v, want a child of the header %s", e, hh)
	}
	if want, _ := e.ComputeHash(); e.Hash != want {
		t.Errorf("start hash %s, want %s", e.Hash, want)
	}
	if !slices.Equal(r.Heads(), []string{e.Hash}) {
		t.Errorf("heads %v", r.Heads())
	}
	if r.Checklist.Phases[0].Items[0].Needs == nil || r.Checklist.Phases[0].Items[1].Roles == nil {
		t.Error("nil needs or roles not normalised")
	}
	data, err := EncodeHeader(r.Header)
	if err != nil {
		t.Fatal(err)
	}
	// "check": null is the checklist's own shape (SPEC §8); nothing else is null.
	if bytes.Contains(bytes.ReplaceAll(data, []byte(`"check": null`), nil), []byte("null")) {
		t.Errorf("header contains null:\n%s", data)
	}
	if !bytes.Contains(data, []byte(`"created_at": "2026-11-25T10:00:00.000000005Z"`)) {
		t.Errorf("created_at not UTC with nanoseconds:\n%s", data)
	}
	r.MarkStored()
	if len(r.Pending()) != 0 {
		t.Error("events pending after MarkStored")
	}

	// What a reader refuses, New refuses.
	bad := testMeta()
	bad.ID = "../v1.4.0"
	if _, err := New(bad, testChecklist()); err == nil || !strings.Contains(err.Error(), "release id") {
		t.Errorf("New with a bad id: %v", err)
	}
	bad = testMeta()
	bad.CreatedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := New(bad, testChecklist()); err == nil {
		t.Error("New accepted a time past year 9999")
	}
}

func TestEncodeEvent(t *testing.T) {
	r := busy(t)
	kinds := map[string]bool{}
	for _, e := range r.Events {
		kinds[e.Kind] = true
		data, err := EncodeEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasSuffix(data, []byte("}\n")) || bytes.HasSuffix(data, []byte("\n\n")) {
			t.Errorf("%s: want exactly one trailing newline", e.Kind)
		}
		var indented bytes.Buffer
		if err := json.Indent(&indented, bytes.TrimSpace(data), "", "  "); err != nil {
			t.Fatal(err)
		}
		indented.WriteByte('\n')
		if !bytes.Equal(indented.Bytes(), data) {
			t.Errorf("%s: not two-space indented JSON:\n%s", e.Kind, data)
		}
		back, err := DecodeEvent(data)
		if err != nil {
			t.Fatalf("%s: %v\n%s", e.Kind, err, data)
		}
		if !reflect.DeepEqual(back, e) {
			t.Errorf("round trip changed the event:\n%+v\n%+v", e, back)
		}
		if again, _ := EncodeEvent(back); !bytes.Equal(again, data) {
			t.Errorf("round trip changed the bytes:\n%s\n---\n%s", data, again)
		}
		// The hash covers the compact encoding without hash and signature.
		canon, _ := e.Canonical()
		sum := sha256.Sum256(canon)
		if e.Hash != hex.EncodeToString(sum[:]) || bytes.Contains(canon, []byte(`"hash"`)) {
			t.Errorf("%s: hash %s is not that of %s", e.Kind, e.Hash, canon)
		}
	}
	for _, k := range []string{EventStart, EventSign, EventWaive, EventRevoke, EventCheck, EventForce, EventStatus} {
		if !kinds[k] {
			t.Errorf("busy release has no %s event", k)
		}
	}
	sign, _ := EncodeEvent(r.Events[slices.IndexFunc(r.Events, func(e Event) bool { return e.Item == "f" && e.Kind == EventSign })])
	for _, want := range []string{`"note": "a & b <c>"`, `id=1&x=2`} {
		if !bytes.Contains(sign, []byte(want)) {
			t.Errorf("encoding lacks %s (HTML characters must stay readable):\n%s", want, sign)
		}
	}
	// A signature is not covered by the hash: adding one keeps the hash.
	e := r.Events[1]
	signed := e
	signed.Signature = "-----BEGIN SSH SIGNATURE-----\nx\n-----END SSH SIGNATURE-----"
	if h, _ := signed.ComputeHash(); h != e.Hash {
		t.Error("the signature changes the hash")
	}
}

func TestEncodeHeader(t *testing.T) {
	cl := testChecklist()
	cl.Phases[0].Items[2].Check.Timeout = checklist.Duration(90 * time.Second)
	r := mustNew(t, testMeta(), cl)
	r.Migrated = &Migration{FromFormat: 1, FinalHash: strings.Repeat("ab", 32), Events: 12}
	data, err := EncodeHeader(r.Header)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"title": "Item G & <more>"`, `"timeout": "1m30s"`, `"format": 2`, `"from_format": 1`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("header lacks %s:\n%s", want, data)
		}
	}
	back, err := DecodeHeader(data)
	if err != nil {
		t.Fatalf("header does not survive the round trip: %v", err)
	}
	if !reflect.DeepEqual(back, r.Header) {
		t.Errorf("round trip changed the header:\n%+v\n%+v", r.Header, back)
	}
	h1, _ := r.Header.Hash()
	h2, _ := back.Hash()
	if h1 != h2 {
		t.Error("round trip changed the header hash")
	}
	if got := back.Checklist.Phases[0].Items[2].Check.Timeout; got != cl.Phases[0].Items[2].Check.Timeout {
		t.Errorf("timeout %v after round trip", time.Duration(got))
	}
}

// replaceOnce is strings.Replace that fails the test when old is absent.
func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("%q not in %s", old, s)
	}
	return strings.Replace(s, old, new, 1)
}

func TestDecodeEventErrors(t *testing.T) {
	r := busy(t)
	enc := func(e Event) string {
		data, err := EncodeEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	sign := enc(r.Events[1]) // dev signs a at 10:01
	check := enc(eventOf(t, r, EventCheck))
	revoke := enc(eventOf(t, r, EventRevoke))
	hash := r.Events[1].Hash
	parent := r.Events[1].Parents[0]
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "invalid event"},
		{"whitespace", " \n", "invalid event"},
		{"null", "null", "unknown kind"},
		{"empty object", "{}", "unknown kind"},
		{"array", "[]", "invalid event"},
		{"truncated", sign[:len(sign)/2], "invalid event"},
		{"unknown field", replaceOnce(t, sign, `"actor"`, `"actors"`), `unknown field "actors"`},
		{"duplicate key", replaceOnce(t, sign, `"actor": "dev",`, `"actor": "dev", "actor": "mallory",`), `duplicate key "actor"`},
		{"duplicate key, other case", replaceOnce(t, sign, `"actor": "dev",`, `"actor": "dev", "Actor": "mallory",`), "duplicate key"},
		{"duplicate key, other value first", replaceOnce(t, sign, `"kind": "sign",`, `"kind": "waive", "kind": "sign",`), `duplicate key "kind"`},
		{"duplicate key inside check", replaceOnce(t, check, `"passed": true,`, `"passed": false, "passed": true,`), `duplicate key "passed"`},
		{"duplicate key after an array", replaceOnce(t, sign, `"hash":`, `"parents": [], "hash":`), `duplicate key "parents"`},
		{"trailing object", sign + "{}", "trailing data"},
		{"trailing garbage", sign + "x", "invalid event"},
		{"second event", sign + sign, "trailing data"},
		{"bad hash", replaceOnce(t, sign, hash, strings.ToUpper(hash)), "hash must be 64 lower-case hex digits"},
		{"short hash", replaceOnce(t, sign, hash, hash[:63]), "hash must be"},
		{"no hash", replaceOnce(t, sign, `"hash": "`+hash+`"`, `"note": "x"`), "hash must be"},
		{"no parents", replaceOnce(t, sign, `"parents": [
    "`+parent+`"
  ],`, ""), "no parents"},
		{"empty parents", replaceOnce(t, sign, `"parents": [
    "`+parent+`"
  ]`, `"parents": []`), "no parents"},
		{"null parents", replaceOnce(t, sign, `"parents": [
    "`+parent+`"
  ]`, `"parents": null`), "no parents"},
		{"bad parent", replaceOnce(t, sign, parent, "HEAD"), `"HEAD" is not a hash`},
		{"bad revoked hash", replaceOnce(t, revoke, `"revokes": [
    "`, `"revokes": [
    "x`), "is not a hash"},
		{"time with offset", replaceOnce(t, sign, `"2026-11-25T10:01:00Z"`, `"2026-11-25T11:01:00+01:00"`), "at must be a UTC time"},
		{"time with zero offset", replaceOnce(t, sign, `"2026-11-25T10:01:00Z"`, `"2026-11-25T10:01:00+00:00"`), "at must be a UTC time"},
		{"bad time", replaceOnce(t, sign, `"2026-11-25T10:01:00Z"`, `"2026-11-25 10:01:00"`), "invalid event"},
		{"unknown kind", replaceOnce(t, sign, `"kind": "sign"`, `"kind": "approve"`), `unknown kind "approve"`},
		{"kind case", replaceOnce(t, sign, `"kind": "sign"`, `"kind": "Sign"`), `unknown kind "Sign"`},
		{"no kind", replaceOnce(t, sign, `"kind": "sign",`, ""), `unknown kind ""`},
		{"string exit code", replaceOnce(t, check, `"exit_code": 0`, `"exit_code": "0"`), "invalid event"},
		{"float exit code", replaceOnce(t, check, `"exit_code": 0`, `"exit_code": 0.5`), "invalid event"},
		{"huge duration", replaceOnce(t, check, `"duration_ms": 12`, `"duration_ms": 1e400`), "invalid event"},
		{"too large", replaceOnce(t, sign, `"actor": "dev"`, `"actor": "`+strings.Repeat("x", MaxEventSize)+`"`),
			"over the 262144-byte limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := DecodeEvent([]byte(tt.data))
			if err == nil {
				t.Fatalf("decoded %+v, want error %q", e, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want %q", err, tt.want)
			}
			if !reflect.DeepEqual(e, Event{}) {
				t.Errorf("a refused event came back with content: %+v", e)
			}
		})
	}
	// At the limit is fine: the check is of size, not of content.
	pad := MaxEventSize - len(sign)
	atLimit := replaceOnce(t, sign, "{\n", "{\n"+strings.Repeat(" ", pad))
	if len(atLimit) != MaxEventSize {
		t.Fatalf("padded to %d bytes", len(atLimit))
	}
	if _, err := DecodeEvent([]byte(atLimit)); err != nil {
		t.Errorf("an event of exactly MaxEventSize bytes: %v", err)
	}
	if _, err := DecodeEvent([]byte(" " + atLimit)); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("an event one byte over the limit: %v", err)
	}
	// Year 0 and year 9999 are in range.
	for _, y := range []string{"0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z"} {
		if _, err := DecodeEvent([]byte(replaceOnce(t, sign, "2026-11-25T10:01:00Z", y))); err != nil {
			t.Errorf("time %s: %v", y, err)
		}
	}
}

// format1 is the start of a format-1 state file: one file per release,
// the events inline (internal/legacy reads these).
const format1 = `{
  "format": 1,
  "serial": 3,
  "release": {"id": "v1.2.0", "version": "1.2.0", "type": "minor", "summary": "",
              "created_at": "2026-12-01T20:37:31Z", "created_by": "rm@example.com"},
  "checklist": {"name": "minor", "description": "", "source": "embedded", "phases": []},
  "events": []
}`

func TestDecodeHeaderErrors(t *testing.T) {
	data, err := EncodeHeader(newTest(t).Header)
	if err != nil {
		t.Fatal(err)
	}
	valid := string(data)
	if _, err := DecodeHeader(data); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "invalid header"},
		{"empty object", "{}", "format 0, expected 2"},
		{"array", "[]", "invalid header"},
		{"format 1", replaceOnce(t, valid, `"format": 2`, `"format": 1`), "a format-1 state file"},
		{"format-1 state file", format1, "a format-1 state file"},
		{"newer format", replaceOnce(t, valid, `"format": 2`, `"format": 3, "events": "new"`),
			"written by a newer octorelease (format 3; this build reads 2)"},
		{"newer format, key case", `{"FORMAT": 7}`, "format 7"},
		{"string format", replaceOnce(t, valid, `"format": 2`, `"format": "2"`), "invalid header"},
		{"unknown field", replaceOnce(t, valid, `"summary"`, `"summaries"`), `unknown field "summaries"`},
		{"unknown field in an item", replaceOnce(t, valid, `"optional"`, `"skippable"`), `unknown field "skippable"`},
		{"duplicate key", replaceOnce(t, valid, `"format": 2,`, `"format": 2, "format": 2,`), `duplicate key "format"`},
		{"duplicate key in release", replaceOnce(t, valid, `"created_by": "alice"`, `"created_by": "alice", "created_by": "mallory"`),
			`duplicate key "created_by"`},
		{"duplicate key in a phase", replaceOnce(t, valid, `"title": "Deploy",`, `"title": "Deploy", "title": "Ship",`),
			`duplicate key "title"`},
		{"trailing data", valid + "{}", "trailing data"},
		{"trailing garbage", valid + "]", "invalid header"},
		{"bad id", replaceOnce(t, valid, `"id": "v1.4.0"`, `"id": "../../etc"`), `release id "../../etc"`},
		{"created_at with offset", replaceOnce(t, valid, `"2026-11-25T10:00:00Z"`, `"2026-11-25T11:00:00+01:00"`),
			"created_at must be a UTC time"},
		{"bad timeout", replaceOnce(t, valid, `"run": "./c.sh"`, `"run": "./c.sh", "timeout": "soon"`), "invalid header"},
		{"too large", valid[:len(valid)-2] + `, "x": "` + strings.Repeat("x", MaxHeaderSize) + `"}`, "over the 16777216-byte limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := DecodeHeader([]byte(tt.data))
			if err == nil {
				t.Fatalf("decoded %+v, want error %q", h, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want %q", err, tt.want)
			}
			if !reflect.DeepEqual(h, Header{}) {
				t.Errorf("a refused header came back with content: %+v", h)
			}
		})
	}
}

func TestFileName(t *testing.T) {
	r := busy(t)
	hexRun := regexp.MustCompile(`^[0-9]{8}T[0-9]{6}\.[0-9]{9}Z-`)
	for _, e := range r.Events {
		name := e.FileName()
		if !hexRun.MatchString(name) || !strings.HasPrefix(name, e.At.UTC().Format("20060102T150405.000000000Z")+"-"+e.Kind+"-") {
			t.Errorf("%s does not start with the UTC time and kind of %+v", name, e)
		}
		if !strings.HasSuffix(name, "-"+e.Hash[:16]+".json") {
			t.Errorf("%s does not end in the hash %s", name, e.Hash[:16])
		}
		for _, part := range []string{e.Item, e.Role, e.Status} {
			if part != "" && !strings.Contains(name, "-"+part+"-") {
				t.Errorf("%s does not name %q", name, part)
			}
		}
		if strings.ContainsAny(name, ":/\\ ") {
			t.Errorf("%s has a character some file systems refuse", name)
		}
	}
	sign := r.Events[1]
	if got, want := sign.FileName(), "20261125T100100.000000000Z-sign-a-developer-"+sign.Hash[:16]+".json"; got != want {
		t.Errorf("name %s, want %s", got, want)
	}
	status := r.Events[len(r.Events)-1]
	if got, want := status.FileName(), "20261125T102300.000000000Z-status-aborted-"+status.Hash[:16]+".json"; got != want {
		t.Errorf("name %s, want %s", got, want)
	}

	// Fixed width: names sort as their times do, whatever the kind,
	// fraction or year.
	times := []time.Time{
		time.Date(999, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 25, 9, 59, 59, 999999999, time.UTC),
		t0,
		t0.Add(time.Nanosecond),
		t0.Add(time.Millisecond),
		t0.Add(time.Second),
		time.Date(2026, 11, 25, 11, 0, 2, 0, time.FixedZone("CET", 3600)), // 10:00:02 UTC
		t0.Add(time.Minute),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
	}
	kinds := []string{EventWaive, EventStart, EventStatus, EventCheck, EventSign, EventRevoke, EventForce, EventSign, EventCheck}
	var names []string
	for i, when := range times {
		e := Event{Kind: kinds[i], At: when, Actor: "x", Item: "zz", Role: "a", Hash: strings.Repeat("f", 64)}
		if i%2 == 0 {
			e.Item, e.Role, e.Hash = "a", "zz", strings.Repeat("0", 64)
		}
		names = append(names, e.FileName())
	}
	if !slices.IsSorted(names) {
		t.Errorf("names do not sort by time:\n%s", strings.Join(names, "\n"))
	}
	width := len(names[0]) - len(strings.SplitN(names[0], "-", 2)[1])
	for _, n := range names {
		if len(n)-len(strings.SplitN(n, "-", 2)[1]) != width {
			t.Errorf("time prefix of %s is not %d wide", n, width)
		}
	}

	// An event read from elsewhere cannot make a name with a path in it.
	odd := Event{Kind: EventSign, At: t0, Item: "../x", Role: "a b", Hash: strings.Repeat("1", 64)}
	if got := odd.FileName(); strings.ContainsAny(got, "/ ") || !strings.Contains(got, "-.._x-a_b-") {
		t.Errorf("odd name %s", got)
	}
}
