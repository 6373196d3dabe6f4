#!/usr/bin/env bash
# Builds the linkgateway OCI image with podman, from Debian's packages only
# (no container registry is contacted):
#
#   deploy/image/build.sh [--tag NAME:TAG]      default: localhost/linkgateway:<version>
#
# 1. an opt build of the gateway and of linkgateway-health (Bazel);
# 2. the Debian packages that own the shared libraries the two binaries load
#    (ldd, dpkg -S), plus ca-certificates;
# 3. a base: mmdebstrap --variant=extract unpacks exactly those packages and
#    their dependencies from bookworm (with its updates and security
#    suites) — no shell, no package manager, no maintainer scripts —, then
#    base.sh (an extract hook) adds users, the CA bundle, the dpkg status and
#    the linker cache; podman import makes it an image, tagged by a hash of
#    its package list and of base.sh, and reused while they stay the same;
# 4. podman build of Containerfile on that base, with version and revision
#    labels, without network and without podman's layer cache (it keys
#    layers without the build arguments, so labels would go stale).
#
# Needs root (mmdebstrap, podman). BAZEL overrides the bazel command (e.g.
# BAZEL="flock /some/lock bazel" where builds must take turns). Prints the
# image's name, size and packages at the end.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tag=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag="$2"; shift 2 ;;
    --tag=*) tag="${1#--tag=}"; shift ;;
    *) echo "usage: $0 [--tag NAME:TAG]" >&2; exit 2 ;;
  esac
done
read -r -a bazel <<< "${BAZEL:-bazel}"

version="$(sed -n 's/.*kVersion\[\] = "\(.*\)";/\1/p' "$root/server/version.h")"
revision="$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)"
if [ "$revision" != unknown ] && [ -n "$(git -C "$root" status --porcelain -- . 2>/dev/null)" ]; then
  revision="$revision-dirty"
fi
tag="${tag:-localhost/linkgateway:$version}"
name="${tag%:*}"

echo "== opt build" >&2
(cd "$root" && "${bazel[@]}" build -c opt //server:gateway //deploy/health_probe:linkgateway-health)
bin="$(cd "$root" && "${bazel[@]}" info -c opt bazel-bin 2>/dev/null)"
gateway="$bin/server/gateway"
probe="$bin/deploy/health_probe/linkgateway-health"

# The package that owns a library path; Debian's usrmerge means a library
# may be registered under /lib while ldd names /usr/lib, or the reverse.
owner() {
  local path
  for path in "$1" "$(realpath "$1")" "${1#/usr}" "/usr$1"; do
    dpkg-query -S "$path" 2>/dev/null | head -1 | cut -d: -f1 && return 0
  done
  echo "no Debian package owns $1" >&2
  return 1
}
packages=(ca-certificates)
while read -r library; do
  packages+=("$(owner "$library")")
done < <(ldd "$gateway" "$probe" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u)
mapfile -t packages < <(printf '%s\n' "${packages[@]}" | sort -u)

hash="$(printf '%s\n' "${packages[@]}" | cat - "$here/base.sh" | sha256sum | cut -c1-12)"
base="$name-base:$hash"
work="$(mktemp -d "${TMPDIR:-/tmp}/linkgateway-image.XXXXXX")"
trap 'rm -rf "$work"' EXIT

if podman image exists "$base"; then
  echo "== base $base (reused)" >&2
else
  echo "== base $base: mmdebstrap bookworm, ${#packages[@]} packages and their dependencies" >&2
  excludes=()
  for path in /usr/share/doc /usr/share/man /usr/share/locale /usr/share/info \
      /usr/share/lintian /usr/share/bash-completion /usr/share/gdb /usr/share/pixmaps \
      /usr/lib/x86_64-linux-gnu/gconv /usr/bin /usr/sbin /bin /sbin; do
    excludes+=("--dpkgopt=path-exclude=$path/*")
  done
  joined="$(IFS=,; echo "${packages[*]}")"
  mmdebstrap --variant=extract --include="$joined" "${excludes[@]}" \
    --extract-hook="sh '$here/base.sh' \"\$1\"" bookworm "$work/base.tar"
  podman import --quiet "$work/base.tar" "$base" >/dev/null
fi

echo "== image $tag" >&2
mkdir "$work/context"
cp "$gateway" "$work/context/linkgateway"
cp "$probe" "$work/context/linkgateway-health"
podman build --quiet --no-cache --pull=never --network=none --format=oci \
  --build-arg "BASE=$base" --build-arg "VERSION=$version" \
  --build-arg "REVISION=$revision" \
  --build-arg "CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  -f "$here/Containerfile" -t "$tag" "$work/context" >/dev/null

size="$(podman image inspect --format '{{.Size}}' "$tag")"
echo "image: $tag"
echo "version: $version, revision: $revision"
echo "size: $((size / 1000000)) MB ($size bytes)"
echo "packages: ${packages[*]}"
