package cli

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"sort"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/octorelease/octorelease/internal/config"
	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/iostreams"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/ui"
	"github.com/octorelease/octorelease/internal/walk"
	"github.com/octorelease/octorelease/internal/workflow"
)

// codeInterrupted is the conventional exit status of a command stopped by
// Ctrl-C (128 + SIGINT). Every answer given before it is recorded.
const codeInterrupted = 130

// WalkOptions are the flags of `walk`.
type WalkOptions struct {
	IO        *iostreams.IOStreams
	Rules     func(role string) (*Rules, error)
	Store     func() (store.Store, error)
	ReleaseID func(store.Store) (string, error)
	Update    func(func(*release.Release) error) (workflow.Outcome, error)
	Renderer  func() (ui.Renderer, error)
	Ask       func(walk.Item) (walk.Answer, error)
	Actor     func() string
	Now       func() time.Time

	Role string
}

func newWalkOptions(f *Factory) *WalkOptions {
	return &WalkOptions{IO: f.IO, Rules: f.Rules, Store: f.Store,
		ReleaseID: f.ReleaseID, Update: f.Update, Renderer: f.Renderer,
		Ask: func(it walk.Item) (walk.Answer, error) { return f.prompter().Ask(it) }, Actor: f.Actor, Now: f.Now}
}

// walkRelease goes on into the walk of release id, as start does.
func (f *Factory) walkRelease(id string) error {
	f.Flags.Release = id
	return runWalk(newWalkOptions(f))
}

// NewCmdWalk builds `octorelease walk`.
func NewCmdWalk(f *Factory, runF func(*WalkOptions) error) *cobra.Command {
	opts := newWalkOptions(f)
	cmd := &cobra.Command{
		Use:   "walk",
		Short: "Walk interactively through what you can act on now",
		Long: `Ask, item by item, about everything you (or --role) can act on now: sign
(optionally with a note and evidence links), waive an optional item with a
reason, skip it, or quit. Each answer is recorded at once, as 'sign' and
'waive' would record it; when a phase's gate passes, the walk goes on into
the next phase. Ctrl-C stops the walk; every answer given before it stays
recorded. The walk ends with what was recorded, what is still open and which
roles are waited on. Needs a terminal: use 'sign' and 'waive' in scripts.`,
		Example: `  octorelease walk
  octorelease walk --role sre
  octorelease walk -r v1.4.0 --as carol@example.com`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(opts, runF, runWalk) },
	}
	cmd.Flags().StringVar(&opts.Role, "role", "", "walk the items of this role only")
	return f.formats(cmd, nil)
}

// walker is one walk: what it asks through, what it records and what it
// recorded so far.
type walker struct {
	o        *WalkOptions
	cfg      *config.Config
	s        store.Store
	id       string
	actor    string
	pol      release.Policy
	skipped  map[string]bool
	recorded []release.Event
	failed   int
}

func runWalk(o *WalkOptions) error {
	if !o.IO.CanPrompt() {
		return errs.Usagef("walk needs a terminal").WithHint("use `octorelease sign ITEM` to sign without one")
	}
	rules, err := o.Rules(o.Role)
	if err != nil {
		return err
	}
	s, err := o.Store()
	if err != nil {
		return err
	}
	id, err := o.ReleaseID(s)
	if err != nil {
		return err
	}
	w := &walker{o: o, cfg: rules.Config, s: s, id: id, actor: o.Actor(), pol: rules.Policy, skipped: map[string]bool{}}
	return w.run()
}

// prompter draws on stderr when it is a terminal (prompts are not data),
// else on stdout, which CanPrompt guarantees is one.
func (f *Factory) prompter() walk.Prompter {
	out := f.IO.Out
	if f.IO.IsStderrTTY() {
		out = f.IO.ErrOut
	}
	return walk.Prompter{In: f.IO.In, Out: out, Color: f.IO.ColorEnabled()}
}

// run asks about the first actionable item until none is left, the user
// quits, or Ctrl-C. Each answer is recorded before the next question, so an
// interruption between questions loses nothing. SIGINT outside a question
// (while recording) is held until the record is written.
func (w *walker) run() error {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)

	interrupted := false
	for !interrupted {
		select {
		case <-sig:
			interrupted = true
			continue
		default:
		}
		r, err := w.s.Load(w.id)
		if err != nil {
			return err
		}
		items := w.actionable(r)
		if len(items) == 0 {
			break
		}
		ans, err := w.o.Ask(w.question(r, items))
		if errors.Is(err, walk.ErrInterrupted) {
			interrupted = true
			break
		}
		if err != nil {
			return err
		}
		if ans.Action == walk.Quit {
			break
		}
		w.answer(items[0], ans)
	}
	if err := w.summary(); err != nil {
		return err
	}
	if interrupted {
		fmt.Fprintln(w.o.IO.ErrOut, "walk interrupted: every answer given before it is recorded")
		return errs.Silent{Code: codeInterrupted}
	}
	return nil
}

// actionable is what the actor can act on now, less what was skipped.
func (w *walker) actionable(r *release.Release) []release.ItemView {
	return slices.DeleteFunc(r.Actionable(w.actor, w.o.Role, w.pol), func(it release.ItemView) bool {
		return w.skipped[it.ID]
	})
}

func (w *walker) question(r *release.Release, items []release.ItemView) walk.Item {
	it := items[0]
	cfg := w.cfg
	roles := make([]walk.Role, len(it.PendingRoles))
	for i, id := range it.PendingRoles {
		roles[i] = walk.Role{ID: id, Name: cfg.RoleName(id)}
	}
	// The counter counts the whole phase ("3 of 7"), not what is left.
	phase, position, total := it.Phase, 1, len(items)
	for _, p := range r.Checklist.Phases {
		if p.ID == it.Phase {
			phase, total = p.Title, len(p.Items)
			for i, pi := range p.Items {
				if pi.ID == it.ID {
					position = i + 1
				}
			}
		}
	}
	return walk.Item{Release: r.Meta.ID, Phase: phase, ID: it.ID, Title: it.Title, Help: it.Help,
		Optional: it.Optional, Roles: roles, Position: position, Total: total}
}

// answer records a sign or waive, exactly as `sign` and `waive` do. A
// refusal (someone signed meanwhile, a check has not passed) is reported and
// the item is skipped so the walk goes on.
func (w *walker) answer(it release.ItemView, ans walk.Answer) {
	o := w.o
	var act func(r *release.Release) error
	switch ans.Action {
	case walk.Sign, walk.SignNote:
		req := release.SignRequest{Items: []string{it.ID}, Role: ans.Role, Actor: w.actor,
			Note: ans.Note, Evidence: ans.Evidence, At: o.Now()}
		act = func(r *release.Release) error { return r.Sign(req, w.pol) }
	case walk.Waive:
		req := release.ActionRequest{Item: it.ID, Role: ans.Role, Actor: w.actor, Reason: ans.Reason, At: o.Now()}
		act = func(r *release.Release) error { return r.Waive(req, w.pol) }
	default: // skip
		w.skipped[it.ID] = true
		return
	}
	out, err := o.Update(act) // its refusals come in the command line's words
	if err != nil {
		fmt.Fprintf(o.IO.ErrOut, "✗ %s: %v\n", it.ID, err)
		if h := errs.Hint(err); h != "" {
			fmt.Fprintf(o.IO.ErrOut, "  %s\n", h)
		}
		w.failed++
		w.skipped[it.ID] = true
		return
	}
	reportOutcome(o.IO.ErrOut, w.cfg.RoleName, out)
	w.recorded = append(w.recorded, out.Recorded...)
}

// summary says what this walk recorded, what is still open and which roles
// are waited on.
func (w *walker) summary() error {
	r, err := w.s.Load(w.id)
	if err != nil {
		return err
	}
	rd, err := w.o.Renderer()
	if err != nil {
		return err
	}
	skipped := make([]string, 0, len(w.skipped))
	for id := range w.skipped {
		skipped = append(skipped, id)
	}
	sort.Strings(skipped)
	return rd.WalkSummary(ui.WalkSummary{Release: r.Meta.ID, Actor: w.actor, Recorded: w.recorded,
		Skipped: skipped, View: r.Evaluate(w.pol)})
}

// promptType asks for the type of a release that has no earlier release to
// infer it from; the choices describe the embedded (or team) checklists.
func (f *Factory) promptType(version string) (string, error) {
	loader, err := f.Loader()
	if err != nil {
		return "", err
	}
	choices := make([]walk.Choice, 0, len(releaseTypes))
	for _, t := range releaseTypes {
		c := walk.Choice{Value: t}
		if cl, err := loader.Load(t); err == nil {
			c.Description = cl.Description
		}
		choices = append(choices, c)
	}
	typ, err := f.prompter().ChooseType(version, choices)
	if errors.Is(err, walk.ErrInterrupted) {
		return "", &errs.Error{Code: codeInterrupted, Msg: "interrupted: no release was opened"}
	}
	return typ, err
}
