package iostreams

import "testing"

func TestDecideColor(t *testing.T) {
	tests := []struct {
		name    string
		tty     bool
		noColor bool
		env     map[string]string
		want    bool
	}{
		{"terminal", true, false, nil, true},
		{"pipe", false, false, nil, false},
		{"NO_COLOR on a terminal", true, false, map[string]string{"NO_COLOR": "1"}, false},
		{"--no-color on a terminal", true, true, nil, false},
		{"CLICOLOR=0 on a terminal", true, false, map[string]string{"CLICOLOR": "0"}, false},
		{"CLICOLOR_FORCE on a pipe", false, false, map[string]string{"CLICOLOR_FORCE": "1"}, true},
		{"CLICOLOR_FORCE=0 on a pipe", false, false, map[string]string{"CLICOLOR_FORCE": "0"}, false},
		{"NO_COLOR beats CLICOLOR_FORCE", false, false, map[string]string{"NO_COLOR": "x", "CLICOLOR_FORCE": "1"}, false},
		{"--no-color beats CLICOLOR_FORCE", true, true, map[string]string{"CLICOLOR_FORCE": "1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DecideColor(tt.tty, tt.noColor, func(k string) string { return tt.env[k] })
			if got != tt.want {
				t.Errorf("DecideColor = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTestStreamsArePlain(t *testing.T) {
	s, _, out, _ := Test()
	if s.IsStdoutTTY() || s.ColorEnabled() || s.CanPrompt() {
		t.Fatal("test streams must be no terminal and no colour")
	}
	s.SetTTY(true, true, false)
	if !s.CanPrompt() || s.IsStderrTTY() {
		t.Fatal("SetTTY not honoured")
	}
	s.Out.Write([]byte("x"))
	if out.String() != "x" {
		t.Fatal("Out does not write to the buffer")
	}
}
