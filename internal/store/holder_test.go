package store

import (
	"encoding/json"
	"testing"
	"time"
)

// The hand-written holder line must read back, through encoding/json, as
// the holder json.Marshal would have written.
func checkHolderLine(t *testing.T, h holder) {
	t.Helper()
	line := h.line()
	if len(line) == 0 || line[len(line)-1] != '\n' {
		t.Fatalf("line %q does not end in a newline", line)
	}
	var got holder
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatalf("line %q does not parse: %v", line, err)
	}
	oracle, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var want holder
	if err := json.Unmarshal(oracle, &want); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("line %q reads back as %+v, json.Marshal's as %+v", line, got, want)
	}
}

func TestHolderLine(t *testing.T) {
	since := time.Date(2026, 11, 25, 10, 4, 5, 123456789, time.UTC)
	for _, actor := range []string{
		"", "alice@example.com", `quote " and \ backslash`, "tab\tnewline\nnul\x00 bell\x07 del\x7f",
		"<html> & ünïcödé ✓ \u2028\u2029", "invalid \xff\xfe utf-8 \xe2\x82", "emoji 🚀",
	} {
		checkHolderLine(t, holder{Actor: actor, Host: "build-7", PID: 4242, Since: since})
	}
	checkHolderLine(t, holder{})
}

func FuzzHolderLine(f *testing.F) {
	f.Add("alice", "host", 1, int64(0))
	f.Add("a\"b\\c\x00\xff", "h\n", -5, int64(1764064800123456789))
	f.Fuzz(func(t *testing.T, actor, host string, pid int, nanos int64) {
		checkHolderLine(t, holder{Actor: actor, Host: host, PID: pid, Since: time.Unix(0, nanos).UTC()})
	})
}
