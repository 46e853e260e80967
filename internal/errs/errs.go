// Package errs defines the typed errors that carry octorelease's exit codes
// (SPEC §9). Every package returns these; internal/app maps them to a process
// exit status in one place.
package errs

import (
	"errors"
	"fmt"
)

// Exit codes, SPEC §9.
const (
	CodeOK      = 0
	CodeRuntime = 1 // I/O, unparsable state, failed check, tampered chain
	CodeUsage   = 2 // bad flag, unknown release/item/role, invalid YAML or config
	CodeGate    = 3 // gate not passed / release incomplete
	CodePolicy  = 4 // refused by policy
)

// Error is an error with an exit code and an optional hint line.
type Error struct {
	Code int
	Msg  string
	Hint string // printed on a second line, may be empty
	Err  error  // wrapped cause, may be nil
}

func (e *Error) Error() string {
	if e.Err != nil && e.Msg == "" {
		return e.Err.Error()
	}
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

func newf(code int, format string, a ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, a...)}
}

// Usagef reports invalid input: exit 2.
func Usagef(format string, a ...any) *Error { return newf(CodeUsage, format, a...) }

// Policyf reports a refusal by policy: exit 4.
func Policyf(format string, a ...any) *Error { return newf(CodePolicy, format, a...) }

// Gatef reports an open gate or incomplete release: exit 3.
func Gatef(format string, a ...any) *Error { return newf(CodeGate, format, a...) }

// Runtimef reports a runtime failure: exit 1.
func Runtimef(format string, a ...any) *Error { return newf(CodeRuntime, format, a...) }

// WithHint returns e with a hint line attached.
func (e *Error) WithHint(format string, a ...any) *Error {
	e.Hint = fmt.Sprintf(format, a...)
	return e
}

// Wrap attaches a cause to e.
func (e *Error) Wrap(err error) *Error {
	e.Err = err
	return e
}

// Code returns the exit code for err: the code of the first *Error in its
// chain, else CodeRuntime.
func Code(err error) int {
	if err == nil {
		return CodeOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var s Silent
	if errors.As(err, &s) {
		return s.Code
	}
	var c Coder
	if errors.As(err, &c) {
		return c.ExitCode()
	}
	return CodeRuntime
}

// Hint returns the hint of the first *Error in err's chain, if any.
func Hint(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Hint
	}
	return ""
}

// Coder is implemented by error types of other packages that know their
// exit code (e.g. checklist.ValidationError).
type Coder interface{ ExitCode() int }

// Silent marks an error whose message has already been printed (e.g. a gate
// report); app.Main exits with its code and prints nothing more.
type Silent struct{ Code int }

func (s Silent) Error() string { return fmt.Sprintf("exit status %d", s.Code) }

// IsTyped reports whether err carries its own exit code.
func IsTyped(err error) bool {
	var e *Error
	var s Silent
	var c Coder
	return errors.As(err, &e) || errors.As(err, &s) || errors.As(err, &c)
}
