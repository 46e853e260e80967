package config

import "github.com/octorelease/octorelease/internal/checklist"

// Role is a role that items are tagged with (SPEC §2).
type Role struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

// builtinNames are the display names of checklist.BuiltinRoles (SPEC §2);
// the ids and their order live there only.
var builtinNames = map[string]string{
	"sre":             "SRE/DevOps",
	"qa":              "QA/Test Engineer",
	"security":        "Security Lead",
	"product-manager": "Product Manager",
	"project-manager": "Project Manager",
	"developer":       "Developer",
}

// BuiltinRoles returns a fresh copy of the six built-in roles, in order.
func BuiltinRoles() []Role {
	ids := checklist.BuiltinRoles()
	out := make([]Role, len(ids))
	for i, id := range ids {
		out[i] = Role{ID: id, Name: builtinNames[id]}
	}
	return out
}
