#!/usr/bin/env bash
# Builds the image and runs it for real (docs/deployment.md, "The container
# test"): podman run against the emulators, then podman kube play of
# deploy/kubernetes with 3 replicas and Redis.
#
#   deploy/test/run.sh [--phases run,kube] [--seconds 20] [--kill-after 6]
#
# Needs root, podman and runc, mmdebstrap, redis-server and PostgreSQL 15
# (bazel/install-deps.sh installs them). BAZEL overrides the bazel command.
# Images, containers, pods and volumes it makes are named linkgateway-test-*
# and removed at the end.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
read -r -a bazel <<< "${BAZEL:-bazel}"

# runc (crun fails on hybrid cgroups) and no default ulimits (the sandbox
# refuses setrlimit for NOFILE and NPROC), for this run only.
conf="$(mktemp "${TMPDIR:-/tmp}/linkgateway-test-containers.XXXXXX.conf")"
printf '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n' > "$conf"
export CONTAINERS_CONF="$conf"
tag="localhost/linkgateway-test-image:$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo dev)"
cleanup() {
  podman images --format '{{.Repository}}:{{.Tag}}' | grep '^localhost/linkgateway-test-' |
    xargs -r podman rmi --force >/dev/null 2>&1 || true
  rm -f "$conf"
}
trap cleanup EXIT

start=$(date +%s)
bash "$root/deploy/image/build.sh" --tag "$tag"
(cd "$root" && "${bazel[@]}" build //deploy/test:container_test)
"$root/bazel-bin/deploy/test/container_test" --image "$tag" "$@"
echo "container test: $(( $(date +%s) - start )) s in all"
