// Package checklist is the checklist model: strict YAML loading, `extends`
// resolution and validation of the rules in SPEC §3. It knows nothing of
// releases, terminals or flags.
package checklist

import "time"

// Checklist is a resolved checklist: `extends` already applied.
type Checklist struct {
	Name        string  `json:"name" yaml:"name"`
	Description string  `json:"description" yaml:"description,omitempty"`
	Source      string  `json:"source" yaml:"-"` // "embedded" or the file path it was loaded from
	Phases      []Phase `json:"phases" yaml:"phases"`
}

// Phase is a sequential gate: its items open once every earlier phase is complete.
type Phase struct {
	ID    string `json:"id" yaml:"id"`
	Title string `json:"title" yaml:"title"`
	Items []Item `json:"items" yaml:"items"`
}

// Item is one step that one or more roles sign off.
type Item struct {
	ID       string   `json:"id" yaml:"id"`
	Title    string   `json:"title" yaml:"title"`
	Roles    []string `json:"roles" yaml:"roles"`
	Optional bool     `json:"optional" yaml:"optional,omitempty"`
	Needs    []string `json:"needs" yaml:"needs,omitempty"`
	Help     string   `json:"help" yaml:"help,omitempty"`
	Check    *Check   `json:"check" yaml:"check,omitempty"`
	// ResetOnRetarget: `retarget` withdraws the item's sign-offs (SPEC §14),
	// for items that test, scan or deploy the code.
	ResetOnRetarget bool `json:"reset_on_retarget,omitempty" yaml:"reset_on_retarget,omitempty"`
	// Approvals is how many distinct people must sign a role (default 1).
	Approvals map[string]int `json:"approvals,omitempty" yaml:"approvals,omitempty"`
	// Evidence is EvidenceRequired when a sign-off must carry --evidence.
	Evidence string `json:"evidence,omitempty" yaml:"evidence,omitempty"`
}

// Evidence values (SPEC §3).
const (
	EvidenceRequired = "required"
	EvidenceOptional = "optional"
)

// Quorum is how many distinct signers the role needs.
func (it Item) Quorum(role string) int {
	if n := it.Approvals[role]; n > 1 {
		return n
	}
	return 1
}

// Check is an automated verification run by `octorelease check`.
type Check struct {
	Run     string   `json:"run" yaml:"run"`
	Timeout Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
}

// DefaultCheckTimeout applies when a check names no timeout.
const DefaultCheckTimeout = 5 * time.Minute

// Duration is a time.Duration written as "10m" in YAML and JSON.
type Duration time.Duration

// Item returns the item with the given id and the index of its phase.
func (c *Checklist) Item(id string) (*Item, int, bool) {
	for pi := range c.Phases {
		for ii := range c.Phases[pi].Items {
			if c.Phases[pi].Items[ii].ID == id {
				return &c.Phases[pi].Items[ii], pi, true
			}
		}
	}
	return nil, -1, false
}

// ItemIDs returns every item id in checklist order.
func (c *Checklist) ItemIDs() []string {
	var ids []string
	for _, p := range c.Phases {
		for _, it := range p.Items {
			ids = append(ids, it.ID)
		}
	}
	return ids
}
