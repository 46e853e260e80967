#!/usr/bin/env bash
# The long version of the reliability tests (make stress): the tests of
# internal/reliability and the multi-process tests of internal/store with
# stress sizes, then every fuzz target for FUZZTIME each, then a summary of
# the figures measured. See docs/reliability.md.
#
# Knobs (environment): STRESS_WRITERS (200), STRESS_KILLS (250),
# STRESS_FLIPS ("all": every byte value at every position of every state
# file), STRESS_DELAY (the testhooks build's delay before each event file,
# 10ms), FUZZTIME (2m per target), GO (go).
set -euo pipefail

GO=${GO:-go}
WRITERS=${STRESS_WRITERS:-200}
KILLS=${STRESS_KILLS:-250}
FLIPS=${STRESS_FLIPS:-all}
DELAY=${STRESS_DELAY:-10ms}
FUZZTIME=${FUZZTIME:-2m}
FUZZ_TARGETS=(
	"./internal/checklist FuzzParse"
	"./internal/checklist FuzzLoad"
	"./internal/config FuzzParse"
	"./internal/release FuzzDecodeEvent"
	"./internal/release FuzzDecodeHeader"
	"./internal/release FuzzMergeOrder"
	"./internal/store FuzzLoad"
	"./internal/legacy FuzzDecode"
	"./internal/signing FuzzParseAllowedSigners"
	"./internal/signing FuzzVerify"
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
report=$work/figures.txt
: >"$report"
began=$(date +%s)

step() { printf '\n== %s\n' "$*" >&2; }
fail() {
	echo "make stress: $1 failed; the end of its log:" >&2
	tail -n 60 "$2" >&2
	exit 1
}

step "reliability tests: $WRITERS writers, $KILLS kills, flips=$FLIPS (internal/reliability)"
t0=$(date +%s)
OCTORELEASE_STRESS_WRITERS=$WRITERS OCTORELEASE_STRESS_KILLS=$KILLS \
	OCTORELEASE_STRESS_FLIPS=$FLIPS OCTORELEASE_TEST_WRITE_DELAY=$DELAY \
	OCTORELEASE_STRESS_REPORT=$report \
	$GO test -count=1 -timeout 30m -v ./internal/reliability >"$work/reliability.log" 2>&1 ||
	fail "internal/reliability" "$work/reliability.log"
echo "reliability tests took: $(($(date +%s) - t0))s" >>"$report"
grep -E '^(--- |ok|PASS)' "$work/reliability.log" >&2

step "store multi-process tests: $WRITERS writers, $KILLS kills, -tags testhooks (internal/store)"
t0=$(date +%s)
OCTORELEASE_STRESS_WRITERS=$WRITERS OCTORELEASE_STRESS_KILLS=$KILLS OCTORELEASE_TEST_WRITE_DELAY=$DELAY \
	$GO test -tags testhooks -count=1 -timeout 30m -v -run 'TestConcurrentWriterProcesses|TestKilledWriters' ./internal/store \
	>"$work/store.log" 2>&1 || fail "internal/store" "$work/store.log"
grep -E '^(--- |ok)' "$work/store.log" >&2
grep -E 'writers, [0-9]+ lock-free reads|rounds: [0-9]+ writers exited 0' "$work/store.log" |
	sed -E 's/^ *[a-z_]+\.go:[0-9]+: /store: /' >>"$report" || true
echo "store tests took: $(($(date +%s) - t0))s" >>"$report"

for target in "${FUZZ_TARGETS[@]}"; do
	read -r pkg name <<<"$target"
	step "fuzz $pkg $name for $FUZZTIME"
	log=$work/fuzz-$name-$(basename "$pkg").log
	$GO test -run '^$' -fuzz "^$name\$" -fuzztime "$FUZZTIME" "$pkg" >"$log" 2>&1 ||
		fail "fuzzing $pkg $name (a crasher is kept in $pkg/testdata/fuzz/$name)" "$log"
	last=$(grep -E 'execs: [0-9]+' "$log" | tail -n 1 || true)
	execs=$(sed -E 's/.*execs: ([0-9]+).*/\1/' <<<"$last")
	corpus=$(sed -nE 's/.*new interesting: ([0-9]+).*/\1/p' <<<"$last")
	echo "fuzz $(basename "$pkg") $name: ${execs:-?} execs in $FUZZTIME, ${corpus:-0} new interesting inputs, no failure" >>"$report"
	tail -n 2 "$log" >&2
done

total=$(($(date +%s) - began))
{
	echo
	echo "==== make stress: summary ===="
	echo "machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/^Mem:/ {print $2}') GiB memory, $($GO version | cut -d' ' -f3-), $(uname -sr)"
	echo "settings: writers=$WRITERS kills=$KILLS flips=$FLIPS write-delay=$DELAY fuzztime=$FUZZTIME"
	sed 's/^/  /' "$report"
	echo "total: ${total}s"
}
