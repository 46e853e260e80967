package config

import "testing"

// SPEC §2: the six built-in roles, in order, with their display names.
func TestBuiltinRoles(t *testing.T) {
	want := []Role{
		{ID: "sre", Name: "SRE/DevOps"},
		{ID: "qa", Name: "QA/Test Engineer"},
		{ID: "security", Name: "Security Lead"},
		{ID: "product-manager", Name: "Product Manager"},
		{ID: "project-manager", Name: "Project Manager"},
		{ID: "developer", Name: "Developer"},
	}
	got := BuiltinRoles()
	if len(got) != len(want) {
		t.Fatalf("got %d roles, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].Name != want[i].Name || got[i].Members != nil {
			t.Errorf("role %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	got[0].Name = "changed"
	if BuiltinRoles()[0].Name != "SRE/DevOps" {
		t.Error("BuiltinRoles does not return a fresh copy")
	}
}
