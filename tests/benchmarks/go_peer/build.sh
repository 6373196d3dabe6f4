#!/usr/bin/env bash
# Builds the benchmark's Go peer offline, as clients/go/build.sh builds the
# Go client: vendor/ filled from Debian's Go packages by
# clients/go/debian_vendor.py (this module replaces linkgateway.io/client
# with the client module in clients/go), then `go build -mod=vendor` with
# GOPROXY=off.
#
#   bash tests/benchmarks/go_peer/build.sh OUTPUT_BINARY
set -euo pipefail
out="$(realpath -m "$1")"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
client="$(cd "${here}/../../../clients/go" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
# The two modules at the same relative places as in the repository.
mkdir -p "${work}/tests/benchmarks" "${work}/clients"
cp -rL "${here}" "${work}/tests/benchmarks/go_peer"
cp -rL "${client}" "${work}/clients/go"
rm -rf "${work}/tests/benchmarks/go_peer/vendor" "${work}/clients/go/vendor"
cache="$(go env GOCACHE 2>/dev/null || true)"
if [[ "${cache}" != /* ]] || ! mkdir -p "${cache}" 2>/dev/null || [ ! -w "${cache}" ]; then
  cache="${work}/cache"
fi
export GOCACHE="${cache}" GOPROXY=off GOFLAGS=-mod=vendor CGO_ENABLED=0 GOPATH="${work}/gopath"
python3 "${client}/debian_vendor.py" "${work}/tests/benchmarks/go_peer"
(cd "${work}/tests/benchmarks/go_peer" && go build -trimpath -o "${out}" .)
