//go:build unix

package checkrun

import "testing"

func TestParseStat(t *testing.T) {
	line := "4242 (we ird) (name) S 1 4200 4100 0 -1 4194560 95 0 0 0 0 0 0 0 20 0 1 0 987654 2293760 138 18446744073709551615\n"
	p, ok := parseStat([]byte(line))
	if want := (procStat{state: 'S', ppid: 1, pgrp: 4200, session: 4100, start: 987654}); !ok || p != want {
		t.Errorf("parseStat = %+v %v, want %+v true", p, ok, want)
	}
	// A short line (no start time) still gives the group.
	if p, ok := parseStat([]byte("7 (x) Z 1 7 7 0")); !ok || p.pgrp != 7 || p.live() || p.start != 0 {
		t.Errorf("short line: %+v %v", p, ok)
	}
	for _, bad := range []string{"garbage", "1 (x) S 1 2", "1 (x) S one 2 3", "1 (x) SS 1 2 3"} {
		if _, ok := parseStat([]byte(bad)); ok {
			t.Errorf("parseStat accepted %q", bad)
		}
	}
}
