package cli

import (
	"errors"
	"fmt"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
)

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
	return err
}
