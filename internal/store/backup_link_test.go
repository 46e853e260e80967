package store

import (
	"os"
	"path/filepath"
	"testing"
)

// TestBackupAfterKillBetweenBackupAndInstall: a writer killed after making
// <id>.json.bak a link to the current file but before installing its new
// version leaves .bak and .json as two names of one file. rename(2) does
// nothing when both names are links to the same file, so the next writer's
// backup rename "succeeded" and left its temp link behind, where no sweep
// would ever find it (found by make stress: the SIGKILL test's temp files
// survived the next writer).
func TestBackupAfterKillBetweenBackupAndInstall(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, "v1.4.0")
	if err := s.Update("v1.4.0", signBy("a")); err != nil {
		t.Fatal(err)
	}
	// The killed writer's backup step: .bak is now the current file.
	cur, bak := filepath.Join(dir, "v1.4.0.json"), filepath.Join(dir, "v1.4.0.json.bak")
	if err := os.Remove(bak); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(cur, bak); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	before := readFile(t, cur)

	if err := s.Update("v1.4.0", signBy("b")); err != nil {
		t.Fatal(err)
	}
	if tmp := tempFiles(t, dir); tmp != nil {
		t.Errorf("temp files left by a successful write: %v", tmp)
	}
	if got := readFile(t, bak); string(got) != string(before) {
		t.Error(".bak does not hold the previous version")
	}
}
