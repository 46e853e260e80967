//go:build unix

package checkrun

import "testing"

func TestParseStat(t *testing.T) {
	state, pgrp, ok := parseStat([]byte("4242 (we ird) (name) S 1 4200 4200 0 -1 4194560\n"))
	if !ok || state != 'S' || pgrp != 4200 {
		t.Errorf("parseStat = %c %d %v, want S 4200 true", state, pgrp, ok)
	}
	if _, _, ok := parseStat([]byte("garbage")); ok {
		t.Error("parseStat accepted garbage")
	}
}
