#!/usr/bin/env bash
# Builds the Go client from protos/ with Debian's Go packages, offline, in
# GOPATH mode (no module downloads):
#
#   bash clients/go/build.sh OUTPUT_BINARY
#
# Needs: golang-go protoc-gen-go protoc-gen-go-grpc golang-google-grpc-dev
# golang-google-genproto-dev golang-google-protobuf-dev protobuf-compiler.
# The generated package is linkgateway/api/v1 in the GOPATH it makes; a Go
# service vendors the same generated files (or runs the same protoc line).
set -euo pipefail
out="$(realpath -m "$1")"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
protos="$(cd "${here}/../../protos" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
gen="${work}/gopath/src/linkgateway/api/v1"
mkdir -p "${gen}" "${work}/gopath/src/linkgateway/cmd"
# The .proto files carry no go_package: map each to the import path here.
mapping=""
for f in annotations app_profiles registrations subscriptions; do
  mapping="${mapping},Mlinkgateway/v1/${f}.proto=linkgateway/api/v1;linkgatewayv1"
done
mapping="${mapping#,}"
(cd "${protos}" && protoc -I . -I /usr/include \
  --go_out="${gen}" --go_opt="paths=source_relative,${mapping}" \
  --go-grpc_out="${gen}" --go-grpc_opt="paths=source_relative,${mapping}" \
  linkgateway/v1/*.proto)
# protoc wrote linkgateway/v1/*.go below ${gen}; the package is their folder.
mv "${gen}"/linkgateway/v1/*.go "${gen}/"
rm -rf "${gen}/linkgateway"
cp -r "${here}/cmd/linkgateway-go" "${work}/gopath/src/linkgateway/cmd/"
GO111MODULE=off GOPATH="${work}/gopath:/usr/share/gocode" GOCACHE="${work}/cache" \
  GOFLAGS= CGO_ENABLED=0 go build -o "${out}" linkgateway/cmd/linkgateway-go
