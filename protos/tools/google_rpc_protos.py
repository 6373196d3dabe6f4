"""Writes google/rpc/{code,status,error_details}.proto and
google/longrunning/operations.proto (with the google/api files it imports)
below a directory,
from Debian's libgoogle-common-protos-java jar (Debian ships the official
files only there), for every build that compiles them: Bazel
(//bazel:system_libs.bzl), the Java client and the Python package.

    python3 protos/tools/google_rpc_protos.py OUT_DIR

Debian bookworm's copy (common-protos 1.16) predates google.rpc.ErrorInfo,
which AIP-193 requires on every error: it is appended with its official
field numbers (googleapis google/rpc/error_details.proto) when missing.
"""

import os
import sys
import zipfile

JAR = "/usr/share/java/proto-google-common-protos.jar"
FILES = ("google/rpc/code.proto", "google/rpc/error_details.proto", "google/rpc/status.proto",
         "google/api/annotations.proto", "google/api/http.proto",
         "google/longrunning/operations.proto")
ERROR_INFO = """
// Added by protos/tools/google_rpc_protos.py: Debian's copy of this file
// predates it.
message ErrorInfo {
  string reason = 1;
  string domain = 2;
  map<string, string> metadata = 3;
}
"""


def write(out_dir, jar=JAR):
    if not os.path.exists(jar):
        raise SystemExit(f"{jar} is missing: install Debian's libgoogle-common-protos-java")
    with zipfile.ZipFile(jar) as archive:
        for name in FILES:
            text = archive.read(name).decode("utf-8")
            if name.endswith("error_details.proto") and "message ErrorInfo" not in text:
                text += ERROR_INFO
            path = os.path.join(out_dir, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    write(sys.argv[1])
