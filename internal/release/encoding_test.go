package release

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
)

// busy returns a release with one event of every kind.
func busy(t *testing.T) *Release {
	t.Helper()
	r := newTest()
	completePre(t, r)
	if err := r.Waive(ActionRequest{Item: "d", Role: "sre", Actor: "bob", Reason: "no db", At: at(20)}, open); err != nil {
		t.Fatal(err)
	}
	if err := r.Sign(SignRequest{Items: []string{"f"}, Role: "qa", Actor: "carol", Force: true, Reason: "hotfix",
		Note: "a & b <c>", Evidence: []string{"https://ci.example.com/run?id=1&x=2"}, At: at(21)}, open); err != nil {
		t.Fatal(err)
	}
	if err := r.Revoke(ActionRequest{Item: "f", Role: "qa", Actor: "carol", Reason: "oops", At: at(22)}, open); err != nil {
		t.Fatal(err)
	}
	if err := r.SetStatus(StatusAborted, "alice", "cancelled", "", at(23)); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestNew(t *testing.T) {
	cl := testChecklist()
	cl.Phases[0].Items[0].Needs = nil
	meta := testMeta()
	meta.CreatedAt = time.Date(2026, 11, 25, 11, 0, 0, 5, time.FixedZone("CET", 3600))
	r := New(meta, cl)
	if r.Format != FormatVersion || r.Serial != 0 {
		t.Errorf("format %d serial %d", r.Format, r.Serial)
	}
	if r.Meta.CreatedAt.Location() != time.UTC || !r.Meta.CreatedAt.Equal(meta.CreatedAt) {
		t.Errorf("created_at %v not normalised to UTC", r.Meta.CreatedAt)
	}
	if len(r.Events) != 1 {
		t.Fatalf("%d events, want the start event", len(r.Events))
	}
	e := r.Events[0]
	if e.Seq != 1 || e.Kind != EventStart || e.Actor != "alice" || !e.At.Equal(meta.CreatedAt) || e.At.Location() != time.UTC {
		t.Errorf("start event %+v", e)
	}
	if r.Checklist.Phases[0].Items[0].Needs == nil {
		t.Error("nil needs not normalised")
	}
	if p := r.Verify(); p != nil {
		t.Errorf("fresh release does not verify: %v", p)
	}
	data, err := Encode(r)
	if err != nil {
		t.Fatal(err)
	}
	// "check": null is the checklist's own shape (SPEC §8); nothing else is null.
	if bytes.Contains(bytes.ReplaceAll(data, []byte(`"check": null`), nil), []byte("null")) {
		t.Errorf("encoding contains null:\n%s", data)
	}
	if !bytes.Contains(data, []byte(`"created_at": "2026-11-25T10:00:00.000000005Z"`)) {
		t.Errorf("created_at not UTC with nanoseconds:\n%s", data)
	}
}

func TestEncodeCanonical(t *testing.T) {
	r := busy(t)
	data, err := Encode(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(data, []byte("}\n")) || bytes.HasSuffix(data, []byte("\n\n")) {
		t.Error("want exactly one trailing newline")
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, bytes.TrimSpace(data), "", "  "); err != nil {
		t.Fatal(err)
	}
	indented.WriteByte('\n')
	if !bytes.Equal(indented.Bytes(), data) {
		t.Error("encoding is not two-space indented JSON")
	}
	for _, want := range []string{`"note": "a & b <c>"`, `id=1&x=2`, `"title": "Item G & <more>"`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("encoding lacks %s (HTML characters must stay readable)", want)
		}
	}
	back, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Encode(back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, data) {
		t.Errorf("round trip changed the bytes:\n%s\n---\n%s", data, again)
	}
	if p := VerifyBytes(data); p != nil {
		t.Errorf("VerifyBytes of a fresh encoding: %v", p)
	}
	if back.Status() != StatusAborted || len(back.Events) != len(r.Events) {
		t.Errorf("decoded status %s, %d events", back.Status(), len(back.Events))
	}
}

func TestEncodeCheckTimeout(t *testing.T) {
	cl := testChecklist()
	cl.Phases[0].Items[2].Check.Timeout = checklist.Duration(10 * time.Minute)
	data, err := Encode(New(testMeta(), cl))
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(data)
	if err != nil {
		t.Fatalf("a check timeout does not survive the round trip: %v", err)
	}
	if got := back.Checklist.Phases[0].Items[2].Check.Timeout; got != cl.Phases[0].Items[2].Check.Timeout {
		t.Errorf("timeout %v after round trip", time.Duration(got))
	}
	if p := VerifyBytes(data); p != nil {
		t.Error(p)
	}
}

func TestDecodeErrors(t *testing.T) {
	valid, err := Encode(newTest())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "empty state file"},
		{"whitespace", " \n", "empty state file"},
		{"empty object", "{}", "format missing"},
		{"format zero", `{"format":0}`, "format missing"},
		{"negative format", `{"format":-1}`, "format -1"},
		{"newer format", `{"format":2,"something":"new"}`, "state written by a newer octorelease (format 2; this build reads 1)"},
		{"newer format key case", `{"FORMAT":7}`, "format 7"},
		{"string format", `{"format":"1"}`, "invalid state file"},
		{"unknown field", strings.Replace(string(valid), `"serial"`, `"serials"`, 1), `unknown field "serials"`},
		{"trailing data", string(valid) + "{}", "trailing data"},
		{"trailing garbage", string(valid) + "x", "trailing data"},
		{"array", "[]", "invalid state file"},
		{"truncated", string(valid[:len(valid)/2]), "invalid state file"},
		{"bad time", strings.Replace(string(valid), "2026-11-25T10:00:00Z", "2026-11-25 10:00:00", 1), "invalid state file"},
		{"time out of range", strings.Replace(string(valid), "2026-11-25T10:00:00Z", "0000-01-01T00:00:00+01:00", 1), "out of range"},
		{"float seq", strings.Replace(string(valid), `"seq": 1`, `"seq": 1.5`, 1), "invalid state file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Decode([]byte(tt.data))
			if err == nil {
				t.Fatalf("decoded %+v, want error %q", r, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want %q", err, tt.want)
			}
		})
	}
}

func TestVerifyBytesNotCanonical(t *testing.T) {
	data, err := Encode(busy(t))
	if err != nil {
		t.Fatal(err)
	}
	edits := map[string]func(string) string{
		"key case":       func(s string) string { return strings.Replace(s, `"note"`, `"Note"`, 1) },
		"extra space":    func(s string) string { return strings.Replace(s, `"seq": 2`, `"seq":  2`, 1) },
		"unicode escape": func(s string) string { return strings.Replace(s, `"actor": "alice"`, `"actor": "\u0061lice"`, 1) },
		"html escape":    func(s string) string { return strings.Replace(s, `a & b`, `a \u0026 b`, 1) },
		"negative zero":  func(s string) string { return strings.Replace(s, `"exit_code": 0`, `"exit_code": -0`, 1) },
		"time offset": func(s string) string {
			return strings.Replace(s, `"2026-11-25T10:01:00Z"`, `"2026-11-25T11:01:00+01:00"`, 1)
		},
		"compact":    func(s string) string { var b bytes.Buffer; _ = json.Compact(&b, []byte(s)); return b.String() },
		"no newline": func(s string) string { return strings.TrimSuffix(s, "\n") },
		"crlf":       func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") },
		"null needs": func(s string) string { return strings.Replace(s, `"needs": []`, `"needs": null`, 1) },
		"empty evidence": func(s string) string {
			return strings.Replace(s, `"role": "developer",`, `"role": "developer", "evidence": [],`, 1)
		},
		"explicit forced": func(s string) string {
			return strings.Replace(s, `"role": "developer",`, `"role": "developer", "forced": false,`, 1)
		},
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			changed := edit(string(data))
			if changed == string(data) {
				t.Fatal("edit did not apply")
			}
			if _, err := Decode([]byte(changed)); err != nil {
				t.Fatalf("edit must still decode: %v", err)
			}
			p := VerifyBytes([]byte(changed))
			if len(p) == 0 || !strings.Contains(p[0], "file is not in canonical form (edited by hand?)") {
				t.Fatalf("problems %q, want the canonical form reported first", p)
			}
			if !strings.Contains(p[0], "line ") {
				t.Errorf("problem %q does not name the line", p[0])
			}
		})
	}
}

// small returns a compact release with one event of every kind, for the
// byte-flip test: two phases of one item each, a check with a timeout.
func small(tb testing.TB) *Release {
	tb.Helper()
	cl := checklist.Checklist{Name: "p", Source: "embedded", Phases: []checklist.Phase{
		{ID: "p1", Title: "One", Items: []checklist.Item{{ID: "x", Title: "X", Roles: []string{"qa"},
			Check: &checklist.Check{Run: "./x.sh", Timeout: checklist.Duration(90 * time.Second)}}}},
		{ID: "p2", Title: "Two", Items: []checklist.Item{{ID: "y", Title: "Y", Roles: []string{"sre"}, Optional: true, Needs: []string{"x"}}}},
	}}
	r := New(Meta{ID: "v1.0.1", Version: "1.0.1", Type: TypePatch, CreatedAt: t0, CreatedBy: "al"}, cl)
	steps := []error{
		r.Sign(SignRequest{Items: []string{"y"}, Role: "sre", Actor: "bo", Force: true, Reason: "r", Note: "n", Evidence: []string{"u"}, At: at(1)}, open),
		r.Revoke(ActionRequest{Item: "y", Role: "sre", Actor: "bo", Reason: "r", At: at(2)}, open),
		r.RecordCheck("x", "ci", at(3), CheckResult{Command: "./x.sh", Passed: true, ExitCode: 0, DurationMS: 5, OutputSHA256: "ab", OutputTail: "t"}),
		r.SetStatus(StatusAborted, "al", "r", "v1.0.0", at(4)),
	}
	for _, err := range steps {
		if err != nil {
			tb.Fatal(err)
		}
	}
	r.Serial = 7
	return r
}

// TestByteFlips changes every byte of an encoded release (each of its bits,
// and a few replacement bytes): each change must fail to decode or be
// reported by VerifyBytes, which reports decode errors too. The serial is
// the one value outside the chain (it grows with every write), so changes of
// its digits are skipped.
func TestByteFlips(t *testing.T) {
	data, err := Encode(small(t))
	if err != nil {
		t.Fatal(err)
	}
	loc := regexp.MustCompile(`"serial": (\d+)`).FindSubmatchIndex(data)
	serialStart, serialEnd := loc[2], loc[3]
	buf := make([]byte, len(data))
	undetected, tried := 0, 0
	for i := range data {
		if i >= serialStart && i < serialEnd {
			continue
		}
		variants := []byte{data[i] ^ 0x01}
		if !raceEnabled {
			for bit := 1; bit < 8; bit++ {
				variants = append(variants, data[i]^1<<bit)
			}
			variants = append(variants, ' ', '0', '9', 'a', '"', '\\')
		}
		for _, b := range variants {
			if b == data[i] {
				continue
			}
			copy(buf, data)
			buf[i] = b
			tried++
			if VerifyBytes(buf) == nil {
				undetected++
				if undetected <= 5 {
					t.Errorf("byte %d changed from %q to %q (line %q) went unnoticed", i, data[i], b, lineAt(data, i))
				}
			}
		}
	}
	if undetected > 0 {
		t.Errorf("%d of %d changes undetected", undetected, tried)
	}
	t.Logf("%d changes of %d bytes, all detected", tried, len(data))
}

func lineAt(data []byte, i int) string {
	start := bytes.LastIndexByte(data[:i], '\n') + 1
	end := bytes.IndexByte(data[i:], '\n')
	if end < 0 {
		return string(data[start:])
	}
	return string(data[start : i+end])
}
