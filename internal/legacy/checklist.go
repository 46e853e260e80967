package legacy

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
)

// The checklist snapshot as format 1 wrote it. These mirror the types of
// internal/checklist at format 1 rather than use them: a field that package
// gains later would change the bytes hashed for the header.

// Checklist is the resolved checklist copied into the release at start.
type Checklist struct {
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Source      string  `json:"source"` // "embedded" or the file path it was loaded from
	Phases      []Phase `json:"phases"`
}

// Phase is a sequential gate of the checklist.
type Phase struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Items []Item `json:"items"`
}

// Item is one step that one or more roles sign off. Check is written as
// null when the item has none.
type Item struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Roles    []string `json:"roles"`
	Optional bool     `json:"optional"`
	Needs    []string `json:"needs"`
	Help     string   `json:"help"`
	Check    *Check   `json:"check"`
}

// Check is an item's automated verification.
type Check struct {
	Run     string   `json:"run"`
	Timeout Duration `json:"timeout,omitempty"`
}

// Duration is a time.Duration written as a string like "10m"; zero is
// omitted. Its text is part of the hashed header, so String is a copy of
// the format-1 code, not a call to checklist.Duration: a file that says
// "90s" was hashed as "1m30s".
type Duration time.Duration

// String writes d as format 1 did: "10m", "1h30m", "45s"; zero is "".
func (d Duration) String() string {
	if d == 0 {
		return ""
	}
	s := time.Duration(d).String()
	// time.Duration prints 10m as "10m0s" and 1h as "1h0m0s"; drop the zero units.
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// MarshalJSON writes d as a string like "10m".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a Go duration string; "" is zero and null leaves d
// as it is, as format 1 did.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"10m\": %w", err)
	}
	if s == "" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q: want a Go duration like \"10m\" or \"1h30m\"", s)
	}
	*d = Duration(v)
	return nil
}

// ToChecklist converts the snapshot to the current checklist type, field by
// field; fields that type gained since format 1 are left zero. The result
// shares nothing with c.
func (c *Checklist) ToChecklist() checklist.Checklist {
	out := checklist.Checklist{
		Name:        c.Name,
		Description: c.Description,
		Source:      c.Source,
		Phases:      make([]checklist.Phase, len(c.Phases)),
	}
	for i, p := range c.Phases {
		items := make([]checklist.Item, len(p.Items))
		for j, it := range p.Items {
			items[j] = checklist.Item{
				ID:       it.ID,
				Title:    it.Title,
				Roles:    cloneStrings(it.Roles),
				Optional: it.Optional,
				Needs:    cloneStrings(it.Needs),
				Help:     it.Help,
			}
			if it.Check != nil {
				items[j].Check = &checklist.Check{Run: it.Check.Run, Timeout: checklist.Duration(it.Check.Timeout)}
			}
		}
		out.Phases[i] = checklist.Phase{ID: p.ID, Title: p.Title, Items: items}
	}
	return out
}

// cloneStrings copies s, nil as [] (format 1 wrote these lists as []).
func cloneStrings(s []string) []string {
	return append([]string{}, s...)
}
