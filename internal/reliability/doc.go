// Package reliability holds the tests that try to break octorelease's
// guarantees (SPEC §6, §9) through the real binary: concurrent writers and
// lock-free readers, writers killed with SIGKILL mid-write, lock contention,
// malformed input of every kind and single-byte tampering of a state file.
//
// The tests build cmd/octorelease once (plus a -tags testhooks build for the
// kill tests) and run it as separate processes. Sizes come from environment
// knobs so that `make test` runs a quick version and `make stress` a long one:
//
//	OCTORELEASE_STRESS_WRITERS  concurrent sign processes (default 50)
//	OCTORELEASE_STRESS_KILLS    writers killed with SIGKILL (default 20)
//	OCTORELEASE_STRESS_FLIPS    single-byte changes tried, or "all" for every
//	                            byte value at every position (default 3000)
//	OCTORELEASE_STRESS_REPORT   file to append "name: value" figures to
//
// See docs/reliability.md for what each test proves and the last figures.
package reliability
