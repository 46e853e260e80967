#!/usr/bin/env bash
# The main job: a whole minor release walked through with the embedded default
# checklists, signed by six people in their six roles, gated and finished.
# Runs in a throw-away folder; pass a folder as $1 to keep it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/bin/octorelease"
[ -x "$bin" ] || (cd "$root" && make -s build)
work=${1:-$(mktemp -d)}
mkdir -p "$work" && cd "$work"
# Each command is printed quoted, ready to copy and paste.
o() { { printf '$ octorelease'; printf ' %q' "$@"; printf '\n'; } >&2; "$bin" "$@"; }

o start 1.4.0 --as jo@example.com --type minor --summary "Faster search and CSV export" --no-walk
echo >&2
# Pre-release requirements: each role signs its items.
o sign acceptance-criteria --as dave@example.com --note "all 12 tickets accepted"
o sign ci-security-scans --as sam@example.com --evidence https://ci.example.com/run/1042
o sign qa-signoff --as quinn@example.com --evidence https://ci.example.com/run/1042/tests
o sign release-notes --role product-manager --as pat@example.com
o sign release-notes --role project-manager --as jo@example.com
o sign rollback-plan capacity --as alice@example.com
o sign staging-smoke-tests --role qa --as quinn@example.com
o sign staging-smoke-tests --role sre --as alice@example.com
echo >&2
o gate --phase pre-release
echo >&2
# Deployment checklist.
o waive deployment-window --role project-manager --reason "routine minor release" --as jo@example.com
o sign backup --as alice@example.com --note "snapshot db-2026-11-25"
o sign staging-deploy --role sre --as alice@example.com
o sign staging-deploy --role qa --as quinn@example.com
o sign final-security-review --as sam@example.com
o sign production-deploy --as alice@example.com --evidence https://deploy.example.com/1042
o sign post-deploy-verify --role sre --as alice@example.com
o sign post-deploy-verify --role qa --as quinn@example.com
o sign monitor --as alice@example.com
o sign announce --role project-manager --as jo@example.com
o sign announce --role product-manager --as pat@example.com
echo >&2
o status -r v1.4.0
echo >&2
o gate
o finish
o audit verify -r v1.4.0
o list --all
echo >&2
echo "release recorded in $work/.octorelease/v1.4.0/ ($(ls "$work/.octorelease/v1.4.0/events" | wc -l) event files)" >&2
