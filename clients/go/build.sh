#!/usr/bin/env bash
# Builds the Go CLI (linkgateway-go) from this module, offline: vendor/ is
# filled from Debian's Go packages (debian_vendor.py), then
# `go build -mod=vendor` with GOPROXY=off.
#
#   bash clients/go/build.sh OUTPUT_BINARY
#
# Needs: golang-go golang-google-grpc-dev golang-google-genproto-dev
# golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev (see
# bazel/install-deps.sh). The generated API (linkgatewayv1/) is committed;
# generate.sh regenerates it.
set -euo pipefail
out="$(realpath -m "$1")"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
cp -rL "${here}" "${work}/module"
rm -rf "${work}/module/vendor"
# The user's build cache when it is writable (a rebuild takes a second), else
# a fresh one (a Bazel sandbox).
cache="$(go env GOCACHE 2>/dev/null || true)"
if [[ "${cache}" != /* ]] || ! mkdir -p "${cache}" 2>/dev/null || [ ! -w "${cache}" ]; then
  cache="${work}/cache"
fi
export GOCACHE="${cache}" GOPROXY=off GOFLAGS=-mod=vendor CGO_ENABLED=0 GOPATH="${work}/gopath"
python3 "${here}/debian_vendor.py" "${work}/module"
(cd "${work}/module" && go build -trimpath -o "${out}" ./cmd/linkgateway-go)
