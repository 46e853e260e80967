package cli

import (
	"fmt"
	"testing"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
)

// TestExplainWordsTypedErrors: each typed error of the domain and the
// stores is shown in the command line's words, with its exit code.
func TestExplainWordsTypedErrors(t *testing.T) {
	damage := []release.Damage{{File: "e.json", Problem: "hash does not match its content (event edited?)"}}
	twice := []release.Damage{{Problem: "v1 was created twice", CreatedTwice: true}}
	for _, tc := range []struct {
		err       error
		code      int
		msg, hint string
	}{
		{&release.ReasonRequiredError{}, errs.CodeUsage, "--force needs --reason", ""},
		{&release.ReasonRequiredError{Action: "waiving b"}, errs.CodeUsage, "waiving b needs --reason", ""},
		{&release.RoleRequiredError{Item: "b", Roles: []string{"qa", "sre"}}, errs.CodeUsage,
			"item b needs roles qa, sre: pass --role", ""},
		{&release.RoleRequiredError{Item: "b", Roles: []string{"qa", "sre"}, Revoke: true}, errs.CodeUsage,
			"item b has roles qa, sre: pass --role", ""},
		{&release.GateScopeError{Phase: "pre", Items: []string{"a"}}, errs.CodeUsage, "--phase and --item cannot be combined", ""},
		{&release.IncompleteError{Release: "v1", Blockers: []release.Blocker{{Item: "a", Reason: "unsigned"}}}, errs.CodeGate,
			"release v1 is incomplete: a (unsigned)", "run `octorelease status --pending`"},
		{&release.NotNewerError{Version: "v1.0.0", Latest: "v1.2.0"}, errs.CodeUsage,
			"version v1.0.0 is not newer than the latest release v1.2.0", "pass a higher version, or --type to start it anyway"},
		{&store.NotFoundError{ID: "v1", In: "/s"}, errs.CodeUsage, `no release "v1" in /s`, "see the releases with `octorelease list --all`"},
		{&store.Format1Error{ID: "v1", Path: "/s/v1.json"}, errs.CodeUsage,
			"release v1 is still in state format 1 (/s/v1.json): commands can read it, but writing needs format 2",
			"run `octorelease migrate` once, and commit the result"},
		{&store.DamagedError{ID: "v1", Damage: damage, EventDir: "/s/v1/events"}, errs.CodeRuntime,
			"release v1 is damaged: e.json: hash does not match its content (event edited?)",
			"`octorelease audit verify -r v1` lists every problem"},
		{&store.DamagedError{ID: "v1", Damage: twice, EventDir: "/s/v1/events"}, errs.CodeRuntime,
			"release v1 is damaged: v1 was created twice",
			"keep one creation: remove the other's event files listed above from /s/v1/events (git rm), " +
				"or keep the other release.json (git checkout --theirs) and remove this one's; then commit"},
		{&store.DamagedError{ID: "v1", Damage: twice}, errs.CodeRuntime, // a store without event folders
			"release v1 is damaged: v1 was created twice", "`octorelease audit verify -r v1` lists every problem"},
		{&store.LockLinkError{Path: "/s/v1/.lock"}, errs.CodeRuntime,
			"lock /s/v1/.lock is a symbolic link, not a lock file (committed by someone?): nothing was written",
			"remove it (git rm) and try again; octorelease never follows links in the state folder"},
		{&release.BlockedError{Item: "b", Blockers: "phase pre-release"}, errs.CodePolicy, "b is blocked by phase pre-release",
			"complete those first, or pass --force --reason TEXT to override (recorded)"},
		{&release.CheckNotPassedError{Item: "smoke"}, errs.CodePolicy, "", ""}, // message checked below
		{&release.SeveralEvidenceError{Evidence: "a b"}, errs.CodeUsage,
			`evidence "a b" has spaces or control characters: give one URL or path per --evidence`, ""},
		{errs.Usagef("--evidence").Wrap(&release.SeveralEvidenceError{Evidence: "a b"}), errs.CodeUsage,
			`--evidence: evidence "a b" has spaces or control characters: give one URL or path per --evidence`, ""},
		{errs.Runtimef("state file x does not parse").Wrap(&release.Format1HeaderError{}), errs.CodeRuntime,
			"state file x does not parse: a format-1 state file: run `octorelease migrate`", ""},
		{&store.LockedError{Release: "v1", Holder: "alice"}, errs.CodeRuntime, "release v1 is locked by alice",
			"try again, or raise --lock-timeout"},
		{&store.InDoubtError{ID: "v1", Backend: "PostgreSQL", Cause: "EOF"}, errs.CodeRuntime,
			"release v1: the connection to PostgreSQL was lost while the write was committing, and whether it was stored is unknown (EOF): " +
				"see `octorelease log -r v1` before trying again", ""},
		{&checklist.UnknownError{Name: "x", Available: []string{"minor", "patch"}}, errs.CodeUsage,
			`unknown checklist "x"; available: minor, patch`, "`octorelease checklist list` shows where each checklist comes from"},
	} {
		err := explain(tc.err)
		if tc.msg == "" {
			tc.msg = tc.err.Error() + " (run `octorelease check smoke`)"
		}
		if errs.Code(err) != tc.code || err.Error() != tc.msg || errs.Hint(err) != tc.hint {
			t.Errorf("explain(%T) = %q (exit %d, hint %q), want %q (exit %d, hint %q)",
				tc.err, err, errs.Code(err), errs.Hint(err), tc.msg, tc.code, tc.hint)
		}
	}
}

// TestExplainKeepsWhatWraps: a typed error inside others is reworded in
// place; an *errs.Error around it keeps its exit code and hint, as
// errs.Code and errs.Hint find it first.
func TestExplainKeepsWhatWraps(t *testing.T) {
	reason := &release.ReasonRequiredError{Action: "waiving b"}
	for _, tc := range []struct {
		err       error
		code      int
		msg, hint string
	}{
		{fmt.Errorf("walk: %w", reason), errs.CodeUsage, "walk: waiving b needs --reason", ""},
		{fmt.Errorf("load: %w", &store.NotFoundError{ID: "v1", In: "/s"}), errs.CodeUsage,
			`load: no release "v1" in /s`, "see the releases with `octorelease list --all`"},
		{errs.Runtimef("step").WithHint("outer hint").Wrap(reason), errs.CodeRuntime, "step: waiving b needs --reason", "outer hint"},
		{fmt.Errorf("a: %w", errs.Policyf("b").Wrap(&store.LockLinkError{Path: "/l"})), errs.CodePolicy,
			"a: b: lock /l is a symbolic link, not a lock file (committed by someone?): nothing was written", ""},
	} {
		err := explain(tc.err)
		if errs.Code(err) != tc.code || err.Error() != tc.msg || errs.Hint(err) != tc.hint {
			t.Errorf("explain(%q) = %q (exit %d, hint %q), want %q (exit %d, hint %q)",
				tc.err, err, errs.Code(err), errs.Hint(err), tc.msg, tc.code, tc.hint)
		}
	}
	plain := errs.Usagef("plain").WithHint("h")
	if err := explain(plain); err != plain {
		t.Errorf("explain changed an error it has no words for: %v", err)
	}
}

// idsStore is a store that only lists ids, for suggestRelease.
type idsStore struct {
	store.Store
	ids []string
}

func (s idsStore) IDs() ([]string, error) { return s.ids, nil }

// TestSuggestRelease: a release not found gets a "did you mean"; any
// other typed error comes back in the command line's words, for the
// commands that print an update's error themselves (walk, check --sign).
func TestSuggestRelease(t *testing.T) {
	s := idsStore{ids: []string{"v1.4.0"}}
	nf := &store.NotFoundError{ID: "v1.4.1", In: "/s"}
	for _, tc := range []struct {
		err       error
		msg, hint string
	}{
		{nf, `no release "v1.4.1" in /s (did you mean "v1.4.0"?)`, "see the releases with `octorelease list --all`"},
		{fmt.Errorf("x: %w", nf), `no release "v1.4.1" in /s (did you mean "v1.4.0"?)`, "see the releases with `octorelease list --all`"},
		{errs.Runtimef("outer").Wrap(nf), `outer: no release "v1.4.1" in /s`, ""},
		{&release.RoleRequiredError{Item: "b", Roles: []string{"qa", "sre"}}, "item b needs roles qa, sre: pass --role", ""},
		{&store.DamagedError{ID: "v1.4.1", Damage: []release.Damage{{File: "f", Problem: "p"}}}, "release v1.4.1 is damaged: f: p",
			"`octorelease audit verify -r v1.4.1` lists every problem"},
	} {
		err := suggestRelease(s, "v1.4.1", tc.err)
		if err.Error() != tc.msg || errs.Hint(err) != tc.hint {
			t.Errorf("suggestRelease(%q) = %q (hint %q), want %q (hint %q)", tc.err, err, errs.Hint(err), tc.msg, tc.hint)
		}
	}
	if err := suggestRelease(idsStore{}, "v9", &store.NotFoundError{ID: "v9", In: "/s"}); err.Error() != `no release "v9" in /s` {
		t.Errorf("no release to suggest: %q", err)
	}
	// Every typed refusal is worded once, the same for walk as for sign.
	blocked := &release.BlockedError{Item: "e", Blockers: "f"}
	if err := suggestRelease(s, "v1.4.0", blocked); errs.Hint(err) != "complete those first, or pass --force --reason TEXT to override (recorded)" {
		t.Errorf("suggestRelease(%T) = %v (hint %q)", blocked, err, errs.Hint(err))
	}
}
