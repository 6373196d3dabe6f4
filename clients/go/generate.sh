#!/usr/bin/env bash
# Regenerates linkgatewayv1/ (the API's messages and gRPC stubs, committed
# as Go modules expect) from ../../protos with Debian's protoc, protoc-gen-go
# and protoc-gen-go-grpc:
#
#   bash clients/go/generate.sh [OUT_DIR]     (default: clients/go/linkgatewayv1)
#
# The .proto files carry no go_package (adding one to a released file is a
# breaking change for `buf breaking`, rule FILE_SAME_GO_PACKAGE): each is
# mapped to the import path here with protoc-gen-go's M options. The google
# imports map to Debian's genproto through their own go_package options.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$(realpath -m "${1:-${here}/linkgatewayv1}")"
protos="$(cd "${here}/../../protos" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
python3 "${protos}/tools/google_rpc_protos.py" "${work}/googleapis"
package="linkgateway.io/client/linkgatewayv1;linkgatewayv1"
files=()
mapping=""
for proto in "${protos}"/linkgateway/v1/*.proto; do
  file="linkgateway/v1/$(basename "${proto}")"
  files+=("${file}")
  mapping="${mapping},M${file}=${package}"
done
mkdir -p "${work}/gen" "${out}"
(cd "${protos}" && protoc -I . -I "${work}/googleapis" -I /usr/include \
  --go_out="${work}/gen" --go_opt="paths=source_relative${mapping}" \
  --go-grpc_out="${work}/gen" --go-grpc_opt="paths=source_relative${mapping}" "${files[@]}")
rm -f "${out}"/*.pb.go
cp "${work}"/gen/linkgateway/v1/*.go "${out}/"
