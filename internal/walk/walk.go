// Package walk holds the interactive questions of `octorelease walk` and of
// `start` (the release type). It is the only package that imports huh and
// bubbletea, so commands that never prompt do not link their init work.
//
// The questions know nothing about releases or stores: they take the item to
// ask about and return the answer. Recording it is the caller's job, so a walk
// records through the same code path as `sign` and `waive`.
package walk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/octorelease/octorelease/internal/release"
)

// ErrInterrupted is returned when the user presses Ctrl-C (or the process is
// interrupted) while a question is on screen. The terminal is restored by
// then.
var ErrInterrupted = errors.New("walk interrupted")

// Action is what the user chose to do with an item.
type Action string

// The answers to "what do you want to do with this item?".
const (
	Sign     Action = "sign"      // sign for the chosen role
	SignNote Action = "sign-note" // sign with a note and/or evidence links
	Waive    Action = "waive"     // optional items only, with a reason
	Skip     Action = "skip"      // leave it for now; the walk goes on
	Quit     Action = "quit"      // end the walk
)

// Role is a role the actor can act for on an item.
type Role struct {
	ID   string
	Name string // display name
}

// Item is one question of the walk.
type Item struct {
	Release  string // release id
	Phase    string // phase title
	ID       string
	Title    string
	Help     string
	Optional bool
	Roles    []Role // the pending roles the actor may act for now (at least one)
	Position int    // 1-based position of the item in its phase
	Total    int
}

// Answer is the user's choice for an item.
type Answer struct {
	Action   Action
	Role     string // the chosen role id (sign, sign-note, waive)
	Note     string
	Evidence []string
	Reason   string // waive
}

// Prompter asks questions on a terminal.
type Prompter struct {
	In    io.Reader // the terminal's input (raw mode is set on it while asking)
	Out   io.Writer // where the form is drawn
	Color bool      // iostreams' colour decision
}

func (p Prompter) run(form *huh.Form) error {
	opts := []tea.ProgramOption{}
	if !p.Color {
		opts = append(opts, tea.WithColorProfile(colorprofile.Ascii))
	}
	form = form.WithInput(p.In).WithOutput(p.Out).
		WithTheme(huh.ThemeFunc(huh.ThemeBase16)).
		WithShowHelp(true).
		WithProgramOptions(opts...)
	err := form.RunWithContext(context.Background())
	if errors.Is(err, huh.ErrUserAborted) {
		return ErrInterrupted
	}
	return err
}

// Ask asks what to do with it.
func (p Prompter) Ask(it Item) (Answer, error) {
	a := Answer{Action: Sign}
	if len(it.Roles) > 0 {
		a.Role = it.Roles[0].ID
	}
	var evidence string
	first := []huh.Field{huh.NewSelect[Action]().
		Title(itemTitle(it)).
		Description(itemDescription(it)).
		Options(actionOptions(it)...).
		Value(&a.Action)}
	if len(it.Roles) > 1 {
		roles := make([]huh.Option[string], len(it.Roles))
		for i, r := range it.Roles {
			roles[i] = huh.NewOption(r.Name, r.ID)
		}
		first = append(first, huh.NewSelect[string]().Title("As which role?").Options(roles...).Value(&a.Role))
	}
	form := huh.NewForm(
		huh.NewGroup(first...),
		huh.NewGroup(
			huh.NewInput().Title("Note").Description("optional; recorded with the sign-off").Value(&a.Note),
			huh.NewInput().Title("Evidence").Description("optional links, separated by spaces or commas").Value(&evidence).
				Validate(func(s string) error {
					for _, ev := range splitEvidence(s) {
						if err := release.CheckEvidence(ev); err != nil {
							return err
						}
					}
					return nil
				}),
		).WithHideFunc(func() bool { return a.Action != SignNote }),
		huh.NewGroup(
			huh.NewInput().Title("Why is "+it.ID+" waived?").Description("required; recorded with the waiver").
				Value(&a.Reason).Validate(required("a reason")),
		).WithHideFunc(func() bool { return a.Action != Waive }),
	)
	if err := p.run(form); err != nil {
		return Answer{}, err
	}
	if a.Action == Skip || a.Action == Quit {
		return Answer{Action: a.Action}, nil
	}
	if a.Action == SignNote {
		a.Evidence = splitEvidence(evidence)
	}
	a.Note, a.Reason = strings.TrimSpace(a.Note), strings.TrimSpace(a.Reason)
	return a, nil
}

func itemTitle(it Item) string {
	return fmt.Sprintf("%s · %s · %s (%d of %d)", it.Release, it.Phase, it.ID, it.Position, it.Total)
}

func itemDescription(it Item) string {
	names := make([]string, len(it.Roles))
	for i, r := range it.Roles {
		names[i] = r.Name
	}
	d := it.Title + "\nfor " + strings.Join(names, ", ")
	if it.Optional {
		d += " (optional)"
	}
	if h := strings.TrimSpace(it.Help); h != "" {
		d += "\n" + h
	}
	return d
}

func actionOptions(it Item) []huh.Option[Action] {
	opts := []huh.Option[Action]{
		huh.NewOption("Sign", Sign),
		huh.NewOption("Sign with a note or evidence", SignNote),
	}
	if it.Optional {
		opts = append(opts, huh.NewOption("Waive (with a reason)", Waive))
	}
	return append(opts,
		huh.NewOption("Skip for now", Skip),
		huh.NewOption("Quit the walk", Quit))
}

func required(what string) func(string) error {
	return func(s string) error {
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("%s is required", what)
		}
		return nil
	}
}

// splitEvidence splits a line of links on spaces and commas.
func splitEvidence(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
}

// Choice is one option of ChooseType.
type Choice struct {
	Value       string
	Description string
}

// ChooseType asks which type of release version is.
func (p Prompter) ChooseType(version string, choices []Choice) (string, error) {
	if len(choices) == 0 {
		return "", errors.New("no release type to choose from")
	}
	opts := make([]huh.Option[string], len(choices))
	for i, c := range choices {
		label := c.Value
		if c.Description != "" {
			label += " — " + c.Description
		}
		opts[i] = huh.NewOption(label, c.Value)
	}
	typ := choices[0].Value
	for _, c := range choices {
		if c.Value == "minor" { // the usual first release; patch and major are deliberate
			typ = c.Value
		}
	}
	form := huh.NewForm(huh.NewGroup(huh.NewSelect[string]().
		Title("What type of release is " + version + "?").
		Description("no earlier release to infer it from").
		Options(opts...).Value(&typ)))
	if err := p.run(form); err != nil {
		return "", err
	}
	return typ, nil
}
