package config

// Role is a role that items are tagged with (SPEC §2).
type Role struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

// BuiltinRoles are usable with no config file at all, in this order.
var builtinRoles = []Role{
	{ID: "sre", Name: "SRE/DevOps"},
	{ID: "qa", Name: "QA/Test Engineer"},
	{ID: "security", Name: "Security Lead"},
	{ID: "product-manager", Name: "Product Manager"},
	{ID: "project-manager", Name: "Project Manager"},
	{ID: "developer", Name: "Developer"},
}

// BuiltinRoles returns a fresh copy of the six built-in roles.
func BuiltinRoles() []Role {
	out := make([]Role, len(builtinRoles))
	copy(out, builtinRoles)
	return out
}
