package cli

import (
	"fmt"
	"strings"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
)

// The domain and the stores return typed errors that carry their data and
// their exit code but name no flag or command; this file puts them in the
// command line's words.

// explain puts the domain's and the stores' typed refusals in the
// command line's words: the flag or command that is the way out.
func explain(err error) error { return inWords(err) }

// suggestRelease puts an error of loading or updating release id in the
// command line's words, adding a "did you mean" to a release that was not
// found. It words the errors inWords knows at once because walk and
// check --sign print an update's error themselves, not through explain.
func suggestRelease(s store.Store, id string, err error) error {
	typed, outer := findTyped(err)
	nf, ok := typed.(*store.NotFoundError)
	if !ok || outer != nil {
		return inWords(err)
	}
	ids, lerr := s.IDs()
	if lerr != nil {
		return inWords(err)
	}
	if hint := checklist.Suggest(id, ids); hint != "" {
		return &errs.Error{Code: errs.CodeUsage, Msg: nf.Error() + hint, Hint: notFoundHint}
	}
	return inWords(err)
}

const notFoundHint = "see the releases with `octorelease list --all`"

// words is what the command line says for err, a typed error of the
// domain or a store: its message, which names the flag where the domain
// says what is missing, and a hint; ok is false for any other error.
func words(err error) (msg, hint string, ok bool) {
	switch e := err.(type) {
	case *release.BlockedError:
		return e.Error(), "complete those first, or pass --force --reason TEXT to override (recorded)", true
	case *release.CheckNotPassedError:
		return fmt.Sprintf("%s (run `octorelease check %s`)", e, e.Item), "", true
	case *release.EvidenceRequiredError:
		return e.Error() + ": sign it with --evidence URL", "", true
	case *release.SeveralEvidenceError:
		return e.Error() + ": give one URL or path per --evidence", "", true
	case *release.Format1HeaderError:
		return e.Error() + ": run `octorelease migrate`", "", true
	case *store.LockedError:
		return e.Error(), "try again, or raise --lock-timeout", true
	case *store.InDoubtError:
		return fmt.Sprintf("%s: see `octorelease log -r %s` before trying again", e, e.ID), "", true
	case *release.ReasonRequiredError:
		if e.Action == "" {
			return "--force needs --reason", "", true
		}
		return e.Action + " needs --reason", "", true
	case *release.RoleRequiredError:
		verb := "needs"
		if e.Revoke {
			verb = "has"
		}
		return fmt.Sprintf("item %s %s roles %s: pass --role", e.Item, verb, strings.Join(e.Roles, ", ")), "", true
	case *release.GateScopeError:
		return "--phase and --item cannot be combined", "", true
	case *release.IncompleteError:
		return e.Error(), "run `octorelease status --pending`", true
	case *release.NotNewerError:
		return e.Error(), "pass a higher version, or --type to start it anyway", true
	case *store.NotFoundError:
		return e.Error(), notFoundHint, true
	case *store.Format1Error:
		return e.Error(), "run `octorelease migrate` once, and commit the result", true
	case *store.DamagedError:
		if e.EventDir != "" && len(e.Damage) > 0 && e.Damage[0].CreatedTwice {
			return e.Error(), fmt.Sprintf("keep one creation: remove the other's event files listed above from %s (git rm), "+
				"or keep the other release.json (git checkout --theirs) and remove this one's; then commit", e.EventDir), true
		}
		return e.Error(), fmt.Sprintf("`octorelease audit verify -r %s` lists every problem", e.ID), true
	case *store.LockLinkError:
		return e.Error(), "remove it (git rm) and try again; octorelease never follows links in the state folder", true
	case *checklist.UnknownError:
		return e.Error(), "`octorelease checklist list` shows where each checklist comes from", true
	}
	return "", "", false
}

// inWords rewords the first typed error in err's chain that words knows,
// keeping what wraps it: the text around its message, and the exit code
// and hint of an *errs.Error around it, which errs.Code and errs.Hint
// find first.
func inWords(err error) error {
	typed, outer := findTyped(err)
	if typed == nil {
		return err
	}
	msg, hint, _ := words(typed)
	full, own := err.Error(), typed.Error()
	if i := strings.LastIndex(full, own); i >= 0 {
		msg = full[:i] + msg + full[i+len(own):]
	}
	code := errs.Code(typed)
	if outer != nil {
		code, hint = outer.Code, outer.Hint
	}
	return &errs.Error{Code: code, Msg: msg, Hint: hint}
}

// findTyped walks err's tree in the order errors.As does and returns the
// first error words knows, with the first *errs.Error met before it, if
// any: the one errs.Code and errs.Hint find first, which wraps it (the
// typed errors wrap nothing) unless err joins several errors.
func findTyped(err error) (typed error, outer *errs.Error) {
	var walk func(error) bool
	walk = func(e error) bool {
		if e == nil {
			return false
		}
		if _, _, ok := words(e); ok {
			typed = e
			return true
		}
		if ee, ok := e.(*errs.Error); ok && outer == nil {
			outer = ee
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			return walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, c := range u.Unwrap() {
				if walk(c) {
					return true
				}
			}
		}
		return false
	}
	if !walk(err) {
		return nil, nil
	}
	return typed, outer
}
