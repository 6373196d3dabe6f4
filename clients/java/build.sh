#!/usr/bin/env bash
# Builds the Java client from protos/ with Debian's grpc-java plugin, protobuf
# and grpc-java jars, offline:
#
#   bash clients/java/build.sh OUTPUT_JAR
#   java -jar OUTPUT_JAR --target 127.0.0.1:50051 VERB 'REQUEST JSON'
#
# Needs: default-jdk-headless protobuf-compiler protobuf-compiler-grpc-java-plugin
# libgrpc-java libprotobuf-java libgoogle-common-protos-java libnetty-java
# libnetty-tcnative-java libnetty-tcnative-jni libperfmark-java
# libgeronimo-annotation-1.3-spec-java (see bazel/install-deps.sh). The jar's manifest
# names the Debian jars it runs with (Class-Path), so it needs no classpath.
set -euo pipefail
out="$(realpath -m "$1")"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
protos="$(cd "${here}/../../protos" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
jars=(grpc-api grpc-core grpc-stub grpc-protobuf grpc-protobuf-lite grpc-netty grpc-context
      protobuf protobuf-util proto-google-common-protos guava gson perfmark-api jsr305
      error_prone_annotations animal-sniffer-annotations geronimo-annotation-1.3-spec
      netty-buffer netty-codec netty-codec-http netty-codec-http2 netty-codec-socks
      netty-common netty-handler netty-handler-proxy netty-resolver netty-transport
      netty-transport-native-unix-common netty-tcnative)
classpath=""
manifest_path=""
for jar in "${jars[@]}"; do
  file="/usr/share/java/${jar}.jar"
  [ -f "${file}" ] || { echo "missing ${file}: see the packages in ${BASH_SOURCE[0]}" >&2; exit 1; }
  classpath="${classpath}:${file}"
  manifest_path="${manifest_path} ${file}"
done
mkdir -p "${work}/gen" "${work}/classes" "${work}/rpc"
(cd "${protos}" && protoc -I . -I /usr/include \
  --java_out="${work}/gen" \
  --plugin=protoc-gen-grpc-java=/usr/bin/grpc_java_plugin --grpc-java_out="${work}/gen" \
  linkgateway/v1/*.proto)
# Debian's compiled com.google.rpc classes (common-protos 1.16) predate
# google.rpc.ErrorInfo: error_details.proto, with ErrorInfo, is compiled into
# this jar (which comes first on the class path).
python3 "${protos}/tools/google_rpc_protos.py" "${work}/rpc"
protoc -I "${work}/rpc" -I /usr/include --java_out="${work}/gen" google/rpc/error_details.proto
javac -nowarn -encoding UTF-8 --release 17 -d "${work}/classes" -cp "${classpath#:}" \
  $(find "${work}/gen" "${here}/src" -name '*.java')
# Manifest lines are at most 72 bytes: continuation lines start with a space.
{
  echo "Main-Class: io.linkgateway.example.LinkgatewayCli"
  echo "Class-Path:${manifest_path}" | fold -w 70 | sed '2,$s/^/ /'
} > "${work}/manifest.txt"
# TLS needs ALPN: Debian's netty drops its JDK ALPN negotiator, so TLS goes
# through OpenSSL (netty-tcnative). Netty looks for the JNI library under
# another name than Debian's file; it also looks in the class path's
# META-INF/native/, where a copy is placed under the name it wants.
mkdir -p "${work}/classes/META-INF/native"
cp /usr/lib/x86_64-linux-gnu/jni/libnetty-tcnative.so \
  "${work}/classes/META-INF/native/libnetty_tcnative_linux_x86_64.so"
jar --create --file "${out}" --manifest "${work}/manifest.txt" -C "${work}/classes" .
