// Package trusttest holds end-to-end tests of signed sign-offs (SPEC §13)
// and of a release's target commit, quorum and evidence (SPEC §14): the real
// binary, built once, run as separate processes in temporary git
// repositories with real SSH keys (ssh-keygen), a real ssh-agent, and event
// files forged by hand the way an attacker with write access to the
// repository would. Every forgery must leave `gate` unpassed and make
// `audit verify` fail naming the file.
//
// The package has no code of its own; everything is in its tests.
package trusttest
