#!/bin/sh
# make-fixture.sh regenerates testdata/state/, a format-1 state folder, with
# a format-1 build of octorelease: commit 34c71a1 (the last one with the
# format-1 codec), built with `go build -o /tmp/octo-f1 ./cmd/octorelease`.
#
#   OCTO=/tmp/octo-f1 sh make-fixture.sh [OUT]   # OUT defaults to ./state
#
# The tests read the checked-in files, never this script: times, and so every
# hash, differ from run to run. After regenerating, update fixtureEvents and
# the byte edits in legacy_test.go if the events changed.
set -eu

OCTO=${OCTO:-/tmp/octo-f1}
OUT=${1:-$(pwd)/state}
case $OUT in /*) ;; *) OUT=$(pwd)/$OUT ;; esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
git init -q .
export NO_COLOR=1 OCTORELEASE_LOCK_TIMEOUT=10s
o() { "$OCTO" "$@" >/dev/null; }

o init
# A small minor checklist (not extending base) that has every item shape:
# several roles, optional, needs, a check that fails then passes, a check
# that times out, a timeout written as 90s (the snapshot keeps "1m30s").
cat > checklists/minor.yaml <<'YAML'
name: minor
description: "Small fixture checklist: <b>&</b> ünïcødé"
phases:
  - id: pre-release
    title: Pre-release requirements
    items:
      - id: acceptance-criteria
        title: All acceptance criteria met
        roles: [developer]
        help: Check the tickets.
      - id: unit-tests
        title: Unit tests pass
        roles: [qa]
        check:
          run: "test -f ready || { echo 'not ready <&> ✗'; exit 3; }; echo 'ok & <done> ✓'"
          timeout: 90s
      - id: slow-check
        title: Load test (optional)
        roles: [sre]
        optional: true
        check:
          run: "sleep 5"
          timeout: 1s
      - id: qa-signoff
        title: QA and security sign-off
        roles: [qa, security]
        needs: [acceptance-criteria]
  - id: deploy
    title: Deployment
    items:
      - id: backup
        title: Backup or snapshot
        roles: [sre]
        optional: true
      - id: production-deploy
        title: Deploy to production
        roles: [sre]
        needs: [qa-signoff]
      - id: announce
        title: Announce
        roles: [product-manager]
YAML
"$OCTO" checklist validate >/dev/null

# v1.2.0: started and aborted.
o start 1.2.0 --type minor --no-walk --summary "Superseded" --as rm@example.com
o sign acceptance-criteria -r v1.2.0 --as dev@example.com
o abort -r v1.2.0 --reason "superseded by 1.3.0" --as rm@example.com

# v1.3.0: every event kind, released, then an incident that rolls it back.
o start 1.3.0 --type minor --no-walk --summary 'Faster search & "quotes" <tags>' --as rm@example.com
R="-r v1.3.0"
o sign acceptance-criteria $R --as dev@example.com \
  --note "$(printf 'merged: ünïcødé ✓ 🚀\nsecond line\ttab \342\200\250 ls')" \
  --evidence 'https://ci.example.com/run?id=42&job=<build>' \
  --evidence 'https://example.com/a/b#x>y'
o revoke acceptance-criteria $R --role developer --reason "PR #12 reverted <oops> & redone" --as dev@example.com
o sign acceptance-criteria $R --as dev@example.com --note "re-merged"
"$OCTO" check unit-tests $R --as ci@example.com >/dev/null || true   # fails: no ./ready
"$OCTO" check slow-check $R --as ci@example.com >/dev/null || true   # times out
touch ready
o check unit-tests $R --sign --as qa@example.com                   # passes and signs
o waive slow-check $R --role sre --reason "no load change" --as sre@example.com
o sign qa-signoff $R --role qa --as qa@example.com --evidence 'https://tests.example.com/r?a=1&b=2'
o sign production-deploy $R --force --reason "security lead out; CTO approved" --as sre@example.com
o sign qa-signoff $R --role security --as sec@example.com
o waive backup $R --role sre --reason "stateless" --as sre@example.com
o sign announce $R --as pm@example.com --note "Änderungen angekündigt"
o finish $R --as rm@example.com

o incident $R --reason "checkout errors at 5% <after> deploy & more" --as sre@example.com
I="-r v1.3.0-incident-1"
o sign incident-response $I --as sre@example.com --evidence 'https://status.example.com/i/7?x=1&y=2'
o sign stakeholder-comms $I --as pm@example.com
o sign rollback $I --as sre@example.com --note "redeployed v1.2.0 — 回滚"
o sign root-cause $I --role developer --as dev@example.com
o sign root-cause $I --role sre --as sre@example.com
o sign security-assessment $I --as sec@example.com
o sign fix-validation $I --as qa@example.com
o sign customer-impact $I --as pm@example.com
o sign postmortem $I --as pm@example.com
o finish $I --as sre@example.com

# v1.4.0: in progress.
o start 1.4.0 --type minor --no-walk --as rm@example.com
o sign acceptance-criteria -r v1.4.0 --as dev@example.com --note "$(printf 'a\\b "q" \001 ctrl')"

"$OCTO" audit verify --all >/dev/null
rm -rf "$OUT"
mkdir -p "$OUT"
# The files octorelease commits (see its .gitignore): no locks, temp files
# or backups.
cp .octorelease/*.json "$OUT"/
if [ -d .octorelease/.index ]; then cp -r .octorelease/.index "$OUT"/; fi
ls -la "$OUT"
