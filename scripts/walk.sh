#!/usr/bin/env bash
# The main job on a terminal: open release 1.4.0 in a scratch folder with
# the embedded default checklists and walk through it interactively, as a
# release manager would (`octorelease start` goes on into `walk`). You act
# for every role, since the scratch folder configures no members. Not on a
# terminal (CI, a pipe), it runs the scripted team release instead:
# scripts/demo.sh. Pass a folder as $1 to keep it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -t 0 ] || [ ! -t 1 ]; then
  echo "not on a terminal: running the scripted release (scripts/demo.sh) instead" >&2
  exec "$root/scripts/demo.sh" "$@"
fi
bin="$root/bin/octorelease"
[ -x "$bin" ] || (cd "$root" && make -s build)
work=${1:-$(mktemp -d)}
mkdir -p "$work" && cd "$work"
git init -q . 2>/dev/null && git commit -q --allow-empty -m "scratch" 2>/dev/null || true
echo "scratch folder: $work" >&2
echo "\$ octorelease start 1.4.0 --type minor --summary 'Faster search'" >&2
OCTORELEASE_ACTOR=${OCTORELEASE_ACTOR:-you@example.com} "$bin" start 1.4.0 --type minor --summary 'Faster search' || true
echo >&2
echo "the release is in $work/.octorelease/v1.4.0; go on with: cd $work && $bin walk  (or status, pending, sign ...)" >&2
