// Package reliability holds the tests that try to break octorelease's
// guarantees (SPEC §6, §9) through the real binary, on state format 2 (a
// folder per release: release.json and one immutable file per event):
// concurrent writers and lock-free readers, writers killed with SIGKILL
// mid-write, lock contention, malformed input of every kind and
// single-byte tampering of every state file.
//
// The tests build cmd/octorelease once (plus a -tags testhooks build for the
// kill and lock tests, whose OCTORELEASE_TEST_WRITE_DELAY holds a writer
// before each event file) and run it as separate processes. Sizes come from
// environment knobs so that `make test` runs a quick version and `make
// stress` a long one:
//
//	OCTORELEASE_STRESS_WRITERS     concurrent sign processes (default 120)
//	OCTORELEASE_STRESS_KILLS       writers killed with SIGKILL (default 20)
//	OCTORELEASE_STRESS_FLIPS       single-byte changes tried, or "all" for every
//	                               byte value at every position of every file
//	                               (default 3000)
//	OCTORELEASE_TEST_WRITE_DELAY   the testhooks delay of the kill test (20ms)
//	OCTORELEASE_STRESS_REPORT      file to append "name: value" figures to
//
// See docs/reliability.md for what each test proves and the last figures.
package reliability
