//go:build race

package release

// raceEnabled trims the exhaustive tests under the race detector, which
// slows them tenfold; plain go test runs them in full.
const raceEnabled = true
