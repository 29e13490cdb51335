#!/usr/bin/env bash
# Prepares the benchmark corpus in bench/corpus/ (ignored by git) from local copies of public
# repositories: bench/setup.sh NAME SOURCE, where SOURCE is a path or URL git can clone.
#   bench/setup.sh express /path/to/expressjs-express-mirror   # every ref, pull requests included
#   bench/setup.sh lodash  /path/to/lodash                     # branches and tags
# A mirror source keeps all of its refs; the result is always a work tree, so staged scans and
# git-secrets (which needs one) can run too.
set -euo pipefail
name=$1 src=$2
dest="$(cd "$(dirname "$0")" && pwd)/corpus/$name"
rm -rf "$dest"
mkdir -p "$dest"
git clone -q --mirror "$src" "$dest/.git"
git -C "$dest" config core.bare false
git -C "$dest" config --unset remote.origin.mirror || true
git -C "$dest" checkout -q -f "$(git -C "$dest" symbolic-ref --short HEAD)"
echo "$name: $(git -C "$dest" rev-list --all --count) commits, $(git -C "$dest" for-each-ref | wc -l) refs"
