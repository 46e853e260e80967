package cli

import (
	"testing"
)

func TestCommandWord(t *testing.T) {
	f, _, _ := testFactory(t)
	fs := newRootCmd(f).PersistentFlags()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"gate"}, "gate"},
		{[]string{"gate", "--phase", "pre-release"}, "gate"},
		{[]string{"-r", "v1.4.0", "sign", "x"}, "sign"},
		{[]string{"-rv1.4.0", "sign"}, "sign"},
		{[]string{"-o=json", "status"}, "status"},
		{[]string{"--release", "v1", "--no-color", "status"}, "status"},
		{[]string{"--release=v1", "--lock-timeout", "5s", "done"}, "done"},
		{[]string{"--state-dir", "gate", "status"}, "status"}, // a flag's value is not the command
		{[]string{"--no-color"}, ""},
		{[]string{"--help", "gate"}, ""}, // not a persistent flag: the whole tree decides
		{[]string{"-h"}, ""},
		{[]string{"--", "gate"}, ""},
		{[]string{"--unknown", "gate"}, ""},
		{nil, ""},
	} {
		if got := commandWord(fs, tc.args); got != tc.want {
			t.Errorf("commandWord(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}

// The one-command tree must behave as the whole tree for that command:
// same help text, same flags, same aliases.
func TestRootCmdForMatchesWholeTree(t *testing.T) {
	for _, c := range commandTable {
		for _, name := range c.names {
			whole, wholeOut, _ := testFactory(t)
			root := NewRootCmd(whole)
			root.SetArgs([]string{name, "--help"})
			if err := root.Execute(); err != nil {
				t.Fatalf("%s --help (whole tree): %v", name, err)
			}
			one, oneOut, _ := testFactory(t)
			args := []string{name, "--help"}
			lazy := NewRootCmdFor(one, args)
			if n := len(lazy.Commands()); n > 2 { // the command and cobra's help command
				t.Errorf("%s: built %d commands, want the one asked for", name, n)
			}
			lazy.SetArgs(args)
			if err := lazy.Execute(); err != nil {
				t.Fatalf("%s --help (one command): %v", name, err)
			}
			if wholeOut.String() != oneOut.String() || oneOut.Len() == 0 {
				t.Errorf("%s --help differs:\nwhole tree:\n%s\none command:\n%s", name, wholeOut, oneOut)
			}
		}
	}
	f, _, _ := testFactory(t)
	if n, want := len(NewRootCmdFor(f, []string{"gat"}).Commands()), len(NewRootCmd(f).Commands()); n != want {
		t.Errorf("an unknown command built %d commands, want the whole tree (%d) for suggestions", n, want)
	}
}
