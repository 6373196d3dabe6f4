#!/usr/bin/env bash
# Builds the Java CLI as one runnable jar: the Maven project here (library
# and CLI, offline against Debian's Maven repository), then the two modules'
# classes in one jar whose manifest names the Debian jars it runs with:
#
#   bash clients/java/build.sh OUTPUT_JAR
#   java -jar OUTPUT_JAR --target 127.0.0.1:50051 VERB 'REQUEST JSON'
#
# Needs the Debian packages bazel/install-deps.sh installs (maven, its
# plugins, default-jdk-headless, protobuf-compiler-grpc-java-plugin,
# libgrpc-java, libnetty-tcnative-jni, ...). A service uses the library with
# `mvn install` instead (docs/clients/java.md).
set -euo pipefail
out="$(realpath -m "$1")"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
# A copy of the project beside the protos (Maven writes target/ folders),
# with its own local repository (filled from /usr/share/maven-repo) unless
# the user's is writable.
mkdir -p "${work}/src/clients"
cp -rL "${here}" "${work}/src/clients/java"
rm -rf "${work}"/src/clients/java/*/target
cp -rL "${here}/../../protos" "${work}/src/protos"
repo="${HOME:-/nonexistent}/.m2/repository"
if ! mkdir -p "${repo}" 2>/dev/null || [ ! -w "${repo}" ]; then
  repo="${work}/m2"
fi
(cd "${work}/src/clients/java" && mvn -q -B -Dmaven.repo.local="${repo}" package)
jars=(grpc-api grpc-core grpc-stub grpc-protobuf grpc-protobuf-lite grpc-netty grpc-context
      protobuf protobuf-util guava gson perfmark-api jsr305
      error_prone_annotations animal-sniffer-annotations geronimo-annotation-1.3-spec
      netty-buffer netty-codec netty-codec-http netty-codec-http2 netty-codec-socks
      netty-common netty-handler netty-handler-proxy netty-resolver netty-transport
      netty-transport-native-unix-common netty-tcnative)
manifest_path=""
for jar in "${jars[@]}"; do
  file="/usr/share/java/${jar}.jar"
  [ -f "${file}" ] || { echo "missing ${file}: run bash bazel/install-deps.sh" >&2; exit 1; }
  manifest_path="${manifest_path} ${file}"
done
mkdir -p "${work}/classes/META-INF/native"
for module in client cli; do
  (cd "${work}/classes" && jar --extract --file \
    "${work}/src/clients/java/${module}/target/linkgateway-${module}-0.6.0.jar")
done
rm -f "${work}/classes/META-INF/MANIFEST.MF"
# Manifest lines are at most 72 bytes: continuation lines start with a space.
{
  echo "Main-Class: io.linkgateway.cli.LinkgatewayCli"
  echo "Class-Path:${manifest_path}" | fold -w 70 | sed '2,$s/^/ /'
} > "${work}/manifest.txt"
# TLS needs ALPN: Debian's netty drops its JDK ALPN negotiator, so TLS goes
# through OpenSSL (netty-tcnative). Netty looks for the JNI library under
# another name than Debian's file; it also looks in the class path's
# META-INF/native/, where a copy is placed under the name it wants.
cp /usr/lib/x86_64-linux-gnu/jni/libnetty-tcnative.so \
  "${work}/classes/META-INF/native/libnetty_tcnative_linux_x86_64.so"
jar --create --file "${out}" --manifest "${work}/manifest.txt" -C "${work}/classes" .
