//go:build unix

package cli_test

import (
	"encoding/json"
	"testing"
)

// `gate -o json` names the phase only when one was asked for, and counts
// the items in scope as item_count (items is its deprecated old name).
func TestGateJSONPhaseAndItemCount(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, 0, "start", "1.4.0", "--type", "minor", "--no-walk")
	tests := []struct {
		args      []string
		phase     any // nil: the field is left out
		itemCount float64
	}{
		{[]string{"gate", "--phase", "pre-release"}, "pre-release", 7},
		{[]string{"gate"}, nil, 15},
		{[]string{"gate", "--item", "qa-signoff", "--item", "backup"}, nil, 2},
	}
	for _, tt := range tests {
		code, out, errOut := run(t, dir, append(tt.args, "-o", "json")...)
		if code != 3 {
			t.Fatalf("%v: exit %d, want 3\n%s", tt.args, code, errOut)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %v\n%s", tt.args, err, out)
		}
		if phase, ok := got["phase"]; phase != tt.phase || ok != (tt.phase != nil) {
			t.Errorf("%v: phase = %#v (present %v), want %#v", tt.args, phase, ok, tt.phase)
		}
		if got["item_count"] != tt.itemCount || got["items"] != tt.itemCount {
			t.Errorf("%v: item_count = %v, items = %v, want %v for both", tt.args, got["item_count"], got["items"], tt.itemCount)
		}
		for _, k := range []string{"release", "passed", "blockers", "waived"} {
			if _, ok := got[k]; !ok {
				t.Errorf("%v: no %q", tt.args, k)
			}
		}
	}
}
