#!/usr/bin/env bash
# Generates the library's Java sources (run by Maven at generate-sources):
# the API's messages and gRPC stubs from ../../../protos, and the google.rpc,
# google.api, google.longrunning and grpc.health.v1 files the API uses,
# relocated into io.linkgateway.client.* Java packages (java_package only: the
# proto names stay google.rpc.Status, ...). So the jar owns no com.google.* or
# io.grpc.* class: those belong to proto-google-common-protos,
# grpc-google-common-protos and grpc-services (Debian bookworm's
# common-protos 1.16 also lacks google.rpc.ErrorInfo).
#
#   bash generate-sources.sh OUT_DIR
set -euo pipefail
out="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
protos="$(cd "${here}/../../../protos" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
python3 "${protos}/tools/google_rpc_protos.py" "${work}"
mkdir -p "${work}/grpc/health/v1" "${out}"
cp /usr/share/grpc-proto/grpc/health/v1/health.proto "${work}/grpc/health/v1/"
sed -i -e 's/^option java_package = "com\.google\.\([a-z.]*\)";/option java_package = "io.linkgateway.client.\1";/' \
  -e 's/^option java_package = "io\.grpc\.health\.v1";/option java_package = "io.linkgateway.client.health.v1";/' \
  $(find "${work}" -name '*.proto')
protoc -I "${protos}" -I "${work}" -I /usr/include --java_out="${out}" \
  --plugin=protoc-gen-grpc-java=/usr/bin/grpc_java_plugin --grpc-java_out="${out}" \
  $(cd "${protos}" && ls linkgateway/v1/*.proto) google/longrunning/operations.proto \
  grpc/health/v1/health.proto
protoc -I "${work}" -I /usr/include --java_out="${out}" \
  google/rpc/code.proto google/rpc/error_details.proto google/rpc/status.proto \
  google/api/annotations.proto google/api/http.proto
