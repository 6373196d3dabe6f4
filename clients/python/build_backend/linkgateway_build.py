"""An in-tree PEP 517 build backend for the linkgateway client package.

It needs nothing from a package index (so `pip install ./clients/python`
works offline, with build isolation): the modules are generated from
../../protos by Debian's protoc and grpc_python_plugin, google/rpc's .proto
files come from protos/tools/google_rpc_protos.py, and the wheel is written
with the standard library. Hand-written because the usual backends
(setuptools, flit, hatchling) would have to be downloaded into pip's
isolated build environment.
"""

import base64
import csv
import hashlib
import io
import os
import re
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROTOS = os.path.normpath(os.path.join(HERE, "..", "..", "protos"))
# Debian's grpc-proto package: grpc/health/v1/health.proto.
HEALTH_PROTOS = "/usr/share/grpc-proto"
NAME, VERSION = "linkgateway_client", "0.6.0"
DIST_INFO = f"{NAME}-{VERSION}.dist-info"
TAG = "py3-none-any"

METADATA = f"""Metadata-Version: 2.1
Name: linkgateway-client
Version: {VERSION}
Summary: Generated gRPC client modules and a CLI for the linkgateway API
Requires-Python: >=3.9
Requires-Dist: grpcio>=1.51,<2
Requires-Dist: protobuf>=4.21.12,<5
"""
WHEEL = f"""Wheel-Version: 1.0
Generator: linkgateway_build
Root-Is-Purelib: true
Tag: {TAG}
"""
ENTRY_POINTS = """[console_scripts]
linkgateway-python = linkgateway_client.cli:main
"""


# Where the package keeps the generated google.rpc, google.api,
# google.longrunning and grpc.health.v1 modules: under its own namespace, so
# that it owns no top-level `google` or `grpc` module (those paths belong to
# googleapis-common-protos, protobuf and grpcio). The generated modules import
# them through linkgateway_client._official, which prefers the official
# distributions' modules when installed: protobuf refuses two copies of one
# .proto file in a process. Type stubs (.pyi) name the own copies.
VENDORED = "linkgateway_client._protos"
_VENDORED_IMPORT = re.compile(
    r"^from (google\.(?:rpc|api|longrunning)|grpc\.health\.v1) import (\w+) as (\w+)$",
    re.MULTILINE)
_STUB_IMPORT = re.compile(
    r"^from (google\.(?:rpc|api|longrunning)|grpc\.health\.v1) import ", re.MULTILINE)


def _vendor_imports(text, stub):
    if stub:
        return _STUB_IMPORT.sub(lambda m: f"from {VENDORED}.{m.group(1)} import ", text)
    return _VENDORED_IMPORT.sub(
        lambda m: ("from linkgateway_client._official import official_or_own as _official_or_own;"
                   f" {m.group(3)} = _official_or_own(\"{m.group(1)}.{m.group(2)}\")"), text)


def _generate(out):
    """Writes the linkgateway/v1 modules and the vendored ones (with .pyi
    stubs) below `out`."""
    rpc = os.path.join(out, "_rpc_protos")
    subprocess.run([sys.executable,
                    os.path.join(PROTOS, "tools", "google_rpc_protos.py"), rpc], check=True)
    api = sorted(os.path.join("linkgateway", "v1", f)
                 for f in os.listdir(os.path.join(PROTOS, "linkgateway", "v1")) if f.endswith(".proto"))
    common = ["protoc", "-I", PROTOS, "-I", rpc, "-I", "/usr/include", "-I", HEALTH_PROTOS,
              f"--python_out={out}", f"--pyi_out={out}"]
    grpc = ["--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin", f"--grpc_python_out={out}"]
    subprocess.run(common + grpc + api + ["google/longrunning/operations.proto",
                                          "grpc/health/v1/health.proto"], check=True)
    subprocess.run(common + ["google/rpc/code.proto", "google/rpc/error_details.proto",
                             "google/rpc/status.proto", "google/api/annotations.proto",
                             "google/api/http.proto"], check=True)


def _packages(root, prefix):
    """Every folder below root/prefix, as a package path."""
    for directory, _, _ in os.walk(os.path.join(root, prefix)):
        yield os.path.relpath(directory, root)


def _files(generated):
    """(path in the wheel, bytes) of every file the package holds."""
    for directory in ("linkgateway", os.path.join("linkgateway", "v1")):
        yield os.path.join(directory, "__init__.py"), b""
    yield os.path.join("linkgateway", "py.typed"), b""
    for directory, _, names in os.walk(os.path.join(generated, "linkgateway")):
        for name in sorted(names):
            if name.endswith((".py", ".pyi")):
                path = os.path.join(directory, name)
                with open(path, encoding="utf-8") as f:
                    text = _vendor_imports(f.read(), name.endswith(".pyi"))
                    yield os.path.relpath(path, generated), text.encode()
    vendored = os.path.join(NAME, "_protos")
    yield os.path.join(vendored, "__init__.py"), b""
    for top in ("google", "grpc"):
        for package in _packages(generated, top):
            yield os.path.join(vendored, package, "__init__.py"), b""
            for name in sorted(os.listdir(os.path.join(generated, package))):
                if name.endswith((".py", ".pyi")):
                    with open(os.path.join(generated, package, name), encoding="utf-8") as f:
                        text = _vendor_imports(f.read(), name.endswith(".pyi"))
                        yield os.path.join(vendored, package, name), text.encode()
    source = os.path.join(HERE, "src", NAME)
    for name in sorted(os.listdir(source)):
        if name.endswith((".py", ".pyi")) or name == "py.typed":
            with open(os.path.join(source, name), "rb") as f:
                yield os.path.join(NAME, name), f.read()
    yield os.path.join(DIST_INFO, "METADATA"), METADATA.encode()
    yield os.path.join(DIST_INFO, "WHEEL"), WHEEL.encode()
    yield os.path.join(DIST_INFO, "entry_points.txt"), ENTRY_POINTS.encode()


def _record_hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    filename = f"{NAME}-{VERSION}-{TAG}.whl"
    with tempfile.TemporaryDirectory() as generated:
        _generate(generated)
        record = io.StringIO()
        writer = csv.writer(record, lineterminator="\n")
        with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w",
                             zipfile.ZIP_DEFLATED) as wheel:
            for path, data in _files(generated):
                arcname = path.replace(os.sep, "/")
                wheel.writestr(arcname, data)
                writer.writerow([arcname, _record_hash(data), len(data)])
            writer.writerow([f"{DIST_INFO}/RECORD", "", ""])
            wheel.writestr(f"{DIST_INFO}/RECORD", record.getvalue())
    return filename
