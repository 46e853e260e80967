package cli

import (
	"errors"
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
func explain(err error) error {
	var (
		blocked  *release.BlockedError
		check    *release.CheckNotPassedError
		evidence *release.EvidenceRequiredError
		locked   *store.LockedError
	)
	switch {
	case errors.As(err, &blocked):
		return (&errs.Error{Code: errs.CodePolicy, Msg: blocked.Error()}).
			WithHint("complete those first, or pass --force --reason TEXT to override (recorded)")
	case errors.As(err, &check):
		return &errs.Error{Code: errs.CodePolicy, Msg: fmt.Sprintf("%s (run `octorelease check %s`)", check, check.Item)}
	case errors.As(err, &evidence):
		return &errs.Error{Code: errs.CodePolicy, Msg: evidence.Error() + ": sign it with --evidence URL"}
	case errors.As(err, &locked):
		return (&errs.Error{Code: errs.CodeRuntime, Msg: locked.Error()}).WithHint("try again, or raise --lock-timeout")
	}
	return inWords(err)
}

// words is what the command line says for err, a typed error of the
// domain or a store: its message, which names the flag where the domain
// says what is missing, and a hint; ok is false for any other error.
func words(err error) (msg, hint string, ok bool) {
	switch e := err.(type) {
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
