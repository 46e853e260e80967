package release

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/octorelease/octorelease/internal/errs"
)

// TestRefusalsAreTyped: the refusals a front end words its own way are
// typed errors with their data and exit code, and their messages name
// no flag or command.
func TestRefusalsAreTyped(t *testing.T) {
	done := func(t *testing.T) *Release {
		r := newTest(t)
		completePre(t, r)
		return r
	}
	tests := []struct {
		name string
		run  func(t *testing.T) error
		want error // the typed error, data included
		code int
	}{
		{"forced sign-off without a reason", func(t *testing.T) error {
			return newTest(t).Sign(SignRequest{Items: []string{"e"}, Actor: "alice", Force: true, At: at(50)}, open)
		}, &ReasonRequiredError{}, errs.CodeUsage},
		{"waiver without a reason", func(t *testing.T) error {
			return done(t).Waive(ActionRequest{Item: "d", Role: "sre", Actor: "alice", At: at(60)}, open)
		}, &ReasonRequiredError{Action: "waiving d"}, errs.CodeUsage},
		{"revoke without a reason", func(t *testing.T) error {
			r := newTest(t)
			mustSign(t, r, open, "carol", "qa", "b")
			return r.Revoke(ActionRequest{Item: "b", Role: "qa", Actor: "carol", At: at(60)}, open)
		}, &ReasonRequiredError{Action: "revoking b"}, errs.CodeUsage},
		{"abort without a reason", func(t *testing.T) error {
			return newTest(t).SetStatus(StatusAborted, "alice", "", at(60), open)
		}, &ReasonRequiredError{Action: "marking v1.4.0 aborted"}, errs.CodeUsage},
		{"retarget without a reason", func(t *testing.T) error {
			return newTest(t).Retarget(strings.Repeat("b", 40), "alice", "", at(60), open)
		}, &ReasonRequiredError{Action: "retargeting v1.4.0"}, errs.CodeUsage},
		{"sign-off of a role that cannot be told", func(t *testing.T) error {
			return newTest(t).Sign(SignRequest{Items: []string{"b"}, Actor: "x", At: at(50)}, open)
		}, &RoleRequiredError{Item: "b", Roles: []string{"qa", "sre"}}, errs.CodeUsage},
		{"revoke of a role that cannot be told", func(t *testing.T) error {
			r := newTest(t)
			mustSign(t, r, open, "carol", "qa", "b")
			return r.Revoke(ActionRequest{Item: "b", Actor: "dave", Reason: "r", At: at(60)}, open)
		}, &RoleRequiredError{Item: "b", Roles: []string{"qa", "sre"}, Revoke: true}, errs.CodeUsage},
		{"released while incomplete", func(t *testing.T) error {
			return done(t).SetStatus(StatusReleased, "alice", "", at(60), open)
		}, &IncompleteError{Release: "v1.4.0"}, errs.CodeGate},
		{"gate of a phase and items", func(t *testing.T) error {
			_, err := newTest(t).Gate("pre", []string{"a"}, open)
			return err
		}, &GateScopeError{Phase: "pre", Items: []string{"a"}}, errs.CodeUsage},
		{"version not newer", func(*testing.T) error {
			_, err := InferType("1.4.0", "1.4.0")
			return err
		}, &NotNewerError{Version: "v1.4.0", Latest: "v1.4.0"}, errs.CodeUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run(t)
			got := reflect.New(reflect.TypeOf(tt.want)).Interface()
			if !errors.As(err, got) {
				t.Fatalf("error %v (%T), want a %T", err, err, tt.want)
			}
			typed := reflect.ValueOf(got).Elem().Interface()
			if inc, ok := typed.(*IncompleteError); ok {
				if len(inc.Blockers) == 0 {
					t.Error("IncompleteError lists no blockers")
				}
				typed = &IncompleteError{Release: inc.Release} // the blockers are the gate's (TestGate)
			}
			if !reflect.DeepEqual(typed, tt.want) {
				t.Errorf("got %#v, want %#v", typed, tt.want)
			}
			if code := errs.Code(err); code != tt.code {
				t.Errorf("exit code %d, want %d", code, tt.code)
			}
			if msg := err.Error(); strings.Contains(msg, "--") || strings.Contains(msg, "octorelease") {
				t.Errorf("message %q names a flag or a command", msg)
			}
		})
	}
}
