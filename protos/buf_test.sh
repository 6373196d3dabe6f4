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
# The API imports google/longrunning and google/rpc, which buf cannot fetch
# offline: the check runs in a workspace of two modules, the API (a copy of
# this directory, configured by its buf.yaml) and those files from Debian
# (protos/tools/google_rpc_protos.py), and lints and compares the API only.
work="${TEST_TMPDIR}/buf-workspace"
rm -rf "${work}" && mkdir -p "${work}"
cp -rL "${protos}" "${work}/api"
/usr/bin/python3 "${protos}/tools/google_rpc_protos.py" "${work}/googleapis"
sed -e 's|^  - path: \.$|  - path: api|' -e 's|^      - |      - api/|' \
  -e 's|^modules:$|modules:\n  - path: googleapis|' \
  -e 's|^lint:$|lint:\n  ignore:\n    - googleapis|' "${protos}/buf.yaml" > "${work}/buf.yaml"
cd "${work}"
export BUF_CACHE_DIR="${TEST_TMPDIR}/buf-cache"
case "${check}" in
  lint) "${buf}" lint ;;
  breaking) "${buf}" breaking --against api/releases/v0.6.0.binpb ;;
  *) echo "usage: $0 lint|breaking" >&2; exit 64 ;;
esac
echo "buf ${check}: ok"
