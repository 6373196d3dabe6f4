#!/usr/bin/env bash
# Builds the libFuzzer targets (--config=fuzz: clang, ASan, UBSan) with a
# Bazel output base of their own, so the plain gcc build is left alone, and
# runs each for a fixed number of executions from a copy of its seed corpus
# (tests/fuzz/corpus/<name>/). Prints one line per target:
#   FUZZ PASS <target> <executions>   or   FUZZ FAIL <target> <why>
# and exits non-zero when any crashed, leaked, hung or tripped a sanitizer.
#
#   bash tests/fuzz/run_fuzzers.sh [runs per target, default 200000]
set -uo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-200000}"
# Beside this checkout's own output base: one per checkout, never shared.
main_base="$(bazel info output_base 2>/dev/null)"
base="${main_base:-${HOME}/.cache/linkgateway}-fuzz"
targets=(upstream_answers_fuzzer operation_answers_fuzzer config_fuzzer request_fuzzer)
labels=()
for t in "${targets[@]}"; do labels+=("//tests/fuzz:${t}"); done
# No convenience symlinks: they would replace the plain build's bazel-*
# links, and `//...` would then wander into this output base.
if ! bazel --output_base="${base}" build --config=fuzz --symlink_prefix=/ "${labels[@]}" 2>&1 |
    tail -3; then
  for t in "${targets[@]}"; do echo "FUZZ FAIL ${t} build"; done
  exit 1
fi
bin="$(bazel --output_base="${base}" info --config=fuzz --symlink_prefix=/ bazel-bin 2>/dev/null)/tests/fuzz"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
failed=0
for t in "${targets[@]}"; do
  corpus="${work}/${t}"
  mkdir -p "${corpus}"
  cp tests/fuzz/corpus/"${t%_fuzzer}"/* "${corpus}/"
  if "${bin}/${t}" -runs="${runs}" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="${work}/${t}-" "${corpus}" > "${work}/${t}.log" 2>&1; then
    execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "${work}/${t}.log" | grep -o '[0-9]*$')"
    echo "FUZZ PASS ${t} ${execs}"
  else
    failed=1
    echo "FUZZ FAIL ${t} (its output, last lines:)"
    tail -40 "${work}/${t}.log"
    for artifact in "${work}/${t}"-*; do
      [ -f "${artifact}" ] && echo "input: $(basename "${artifact}") $(base64 -w0 "${artifact}")"
    done
  fi
done
exit "${failed}"
