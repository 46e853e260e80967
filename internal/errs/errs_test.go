package errs

import (
	"errors"
	"fmt"
	"testing"
)

type coded struct{}

func (coded) Error() string { return "coded" }
func (coded) ExitCode() int { return 2 }

func TestCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("plain"), CodeRuntime},
		{Usagef("u"), CodeUsage},
		{Policyf("p"), CodePolicy},
		{Gatef("g"), CodeGate},
		{Runtimef("r"), CodeRuntime},
		{fmt.Errorf("wrapped: %w", Policyf("p")), CodePolicy},
		{Silent{Code: 3}, 3},
		{fmt.Errorf("wrapped: %w", coded{}), 2},
	}
	for _, tt := range tests {
		if got := Code(tt.err); got != tt.want {
			t.Errorf("Code(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestMessageHintAndTyped(t *testing.T) {
	e := Usagef("bad %s", "thing").WithHint("try %s", "this").Wrap(errors.New("cause"))
	if e.Error() != "bad thing: cause" || Hint(e) != "try this" {
		t.Fatalf("got %q / %q", e.Error(), Hint(e))
	}
	if !errors.Is(e, e.Err) {
		t.Fatal("Unwrap does not reach the cause")
	}
	if IsTyped(errors.New("x")) || !IsTyped(fmt.Errorf("w: %w", e)) || !IsTyped(coded{}) {
		t.Fatal("IsTyped wrong")
	}
}
