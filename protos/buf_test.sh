#!/usr/bin/env bash
# The API contract: `buf lint` (STANDARD rules) and `buf breaking` against the
# last release's descriptor image (protos/releases/). buf comes from npm
# (tools/buf, pinned by its lock file; bazel/install-deps.sh runs npm ci).
#
#   buf_test.sh lint | breaking
#
# A deliberate breaking change is a reviewed decision: it changes this test
# (a new release image), not the API silently.
set -euo pipefail
check="$1"
runfiles="${TEST_SRCDIR}/${TEST_WORKSPACE}"
# buf reads the source tree the runfiles point into (it does not follow
# symlinked files), and its npm-installed binary next to it.
protos="$(dirname "$(readlink -f "${runfiles}/protos/buf.yaml")")"
buf="$(dirname "$(readlink -f "${runfiles}/tools/buf/package.json")")/node_modules/.bin/buf"
if [ ! -x "${buf}" ]; then
  echo "buf is missing (${buf}): run bash bazel/install-deps.sh (npm ci in tools/buf)" >&2
  exit 1
fi
cd "${protos}"
export BUF_CACHE_DIR="${TEST_TMPDIR}/buf-cache"
case "${check}" in
  lint) "${buf}" lint ;;
  breaking) "${buf}" breaking --against releases/v0.6.0.binpb ;;
  *) echo "usage: $0 lint|breaking" >&2; exit 64 ;;
esac
echo "buf ${check}: ok"
