// Package teamtest holds end-to-end tests of octorelease used by a team
// through git (SPEC §6 and §12): the real binary, built once, run as
// separate processes on several clones of one bare origin, each with its
// own identity, signing, committing, pulling (merge or rebase), pushing,
// cherry-picking and running `octorelease sync` concurrently. The tests
// count what a team would notice: git conflicts, sign-offs lost in a merge,
// clones that disagree about the state, and files touched outside the
// state folder.
//
// The package has no code of its own; everything is in its tests.
package teamtest
