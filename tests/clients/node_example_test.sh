#!/usr/bin/env bash
# The Node example (clients/node) against `bazel run //:gateway`'s launcher:
# a successful call, then the same call failing with its details decoded.
set -euo pipefail

if ! command -v node >/dev/null 2>&1; then
  echo "node is not installed: run bash bazel/install-deps.sh (installs Debian's nodejs and npm)" >&2
  exit 1
fi

runfiles="${TEST_SRCDIR}/${TEST_WORKSPACE}"
# The example runs from its source folder, where `npm ci` put node_modules.
example_dir="$(dirname "$(readlink -f "${runfiles}/clients/node/example.js")")"
if [ ! -d "${example_dir}/node_modules/@grpc/grpc-js" ]; then
  echo "clients/node/node_modules is missing: run bash bazel/install-deps.sh (npm ci)" >&2
  exit 1
fi
rpc_protos="$(dirname "$(dirname "$(dirname "$(readlink -f "${TEST_SRCDIR}/googleapis_rpc/google/rpc/status.proto")")")")"

log="${TEST_TMPDIR}/launcher.log"
/usr/bin/python3 -u "${runfiles}/tests/emulators/run_gateway.py" --listen=127.0.0.1:0 --metrics=127.0.0.1:0 >"${log}" 2>&1 &
launcher=$!
trap 'kill ${launcher} 2>/dev/null; wait ${launcher} 2>/dev/null || true' EXIT

target=""
for _ in $(seq 1 600); do  # up to 60 s for the emulators and the gateway
  target="$(grep -o 'linkgateway: listening on 127.0.0.1:[0-9]*' "${log}" | grep -o '127.0.0.1:[0-9]*' || true)"
  [ -n "${target}" ] && break
  kill -0 ${launcher} 2>/dev/null || { cat "${log}"; exit 1; }
  sleep 0.1
done
[ -n "${target}" ] || { cat "${log}"; exit 1; }

run() { node "${example_dir}/example.js" --target "${target}" --rpc-protos "${rpc_protos}" "$@"; }

out="$(run delete-subscription ANY_OFFER_CHANGED demo-subscription-1)"
echo "${out}"
grep -q '"rateLimit":"1.0"' <<<"${out}"

set +e
out="$(run delete-subscription ANY_OFFER_CHANGED demo-subscription-1)"
code=$?
set -e
echo "${out}"
[ "${code}" -eq 1 ]
grep -q '"code":"NOT_FOUND"' <<<"${out}"
grep -q '"reason":"UPSTREAM_NOT_FOUND"' <<<"${out}"
grep -q '"upstreamRequestId":"' <<<"${out}"

set +e
out="$(run delete-registration 'bad id')"
set -e
echo "${out}"
grep -q '"field":"sms_voice.registration_id"' <<<"${out}"

# The same example against `bazel run //:gateway -- --secure`: TLS with the
# demo client certificate (mTLS), then with the demo bearer token.
kill ${launcher}; wait ${launcher} 2>/dev/null || true
log="${TEST_TMPDIR}/secure.log"
/usr/bin/python3 -u "${runfiles}/tests/emulators/run_gateway.py" --secure --listen=127.0.0.1:0 --metrics=127.0.0.1:0 >"${log}" 2>&1 &
launcher=$!
target=""
for _ in $(seq 1 600); do  # up to 60 s
  target="$(grep -o 'linkgateway: listening on 127.0.0.1:[0-9]*' "${log}" | grep -o '127.0.0.1:[0-9]*' || true)"
  [ -n "${target}" ] && break
  kill -0 ${launcher} 2>/dev/null || { cat "${log}"; exit 1; }
  sleep 0.1
done
[ -n "${target}" ] || { cat "${log}"; exit 1; }
demo="$(grep -o '/tmp/linkgateway-demo[^/]*' "${log}" | head -1)"
out="$(run --ca-file "${demo}/ca.pem" --cert-file "${demo}/demo-client.pem" \
           --key-file "${demo}/demo-client.key" profile-status 3457ee77-53c8-52ac-8a51-ee6e062cae8a)"
echo "${out}"
grep -q '"state":"PROFILE_TRANSACTION_STATE_PENDING_OR_UNKNOWN"' <<<"${out}"
out="$(run --ca-file "${demo}/ca.pem" --token-file "${demo}/demo.token" \
           delete-subscription ANY_OFFER_CHANGED demo-subscription-1)"
echo "${out}"
grep -q '"rateLimit":"1.0"' <<<"${out}"
set +e
out="$(run --ca-file "${demo}/ca.pem" delete-subscription ANY_OFFER_CHANGED x)"
set -e
echo "${out}"
grep -q '"code":"UNAUTHENTICATED"' <<<"${out}"
echo "PASSED"
