#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the gateway need, if
# any is missing, and the Node example's npm packages. Safe to run again; does
# nothing when all are present.
set -euo pipefail

PACKAGES=(
  bazel-bootstrap g++ pkg-config unzip openssl ca-certificates
  protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev grpc-proto
  libabsl-dev libcurl4-openssl-dev libssl-dev libgtest-dev libgmock-dev libcpp-httplib-dev libevent-dev
  # XML answers of AWS query APIs (STS).
  libexpat1-dev
  libgoogle-common-protos-java
  python3 python3-grpcio python3-protobuf python3-botocore python3-h2 util-linux
  # The doc test runs the pages' commands: curl and jq appear in them.
  curl jq
  prometheus redis-server libhiredis-dev
  # The gateway's allocator.
  libgoogle-perftools-dev
  # Unlink jobs: SQLite embedded, PostgreSQL when replicas share jobs.
  libsqlite3-dev postgresql libpq-dev
  # The nemesis (tests/nemesis): a replica's wall clock jumps under
  # libfaketime; the audit disk is a loop-mounted ext4 image.
  faketime e2fsprogs
  # libFuzzer targets (tests/fuzz): clang, its sanitizer/fuzzer runtimes, lld.
  clang-14 libclang-rt-14-dev lld-14
  # The Go client (a module vendored from Debian's Go packages).
  golang-go protoc-gen-go protoc-gen-go-grpc golang-google-grpc-dev golang-google-genproto-dev
  golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev
  # The Java client (javac against Debian's grpc-java and protobuf jars).
  default-jdk-headless protobuf-compiler-grpc-java-plugin libgrpc-java libprotobuf-java
  libnetty-java libperfmark-java libguava-java libgoogle-gson-java libjsr305-java
  liberror-prone-java libanimal-sniffer-java libgeronimo-annotation-1.3-spec-java
  libnetty-tcnative-java libnetty-tcnative-jni
  # The Java client's Maven project, offline against /usr/share/maven-repo.
  maven libmaven-compiler-plugin-java libmaven-resources-plugin-java libmaven-jar-plugin-java
  libmaven-source-plugin-java libmaven-install-plugin-java libsurefire-java
  libexec-maven-plugin-java libbuild-helper-maven-plugin-java
  # The C++ client's installable CMake project.
  cmake
  # deploy/: the image (mmdebstrap, podman with runc, catatonit for pods),
  # the systemd unit's checks, the manifests' and rules' tests.
  mmdebstrap podman runc catatonit systemd python3-yaml
)
# The Node client's test needs Node.js; Debian's packages unless one is on PATH.
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)
# kustomize (deploy/kubernetes) through kubectl; Debian's unless one is on PATH.
command -v kubectl >/dev/null 2>&1 || PACKAGES+=(kubernetes-client)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm packages, each pinned by its lock file: the Node client's dependencies
# (its package test installs from npm's cache) and buf (the API contract).
root="$(cd "$(dirname "$0")/.." && pwd)"
for dir in clients/node tools/buf; do
  if [ ! -f "$root/$dir/node_modules/.package-lock.json" ] ||
     [ "$root/$dir/package-lock.json" -nt "$root/$dir/node_modules/.package-lock.json" ]; then
    (cd "$root/$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
