"""Which copy of a google.rpc, google.api, google.longrunning or
grpc.health.v1 module the package uses.

Protobuf keeps one descriptor pool per process and refuses a second file of
the same name (google/rpc/status.proto) or a second definition of a message
(grpc.health.v1.HealthCheckRequest). So when googleapis-common-protos (or
grpcio-status, which needs it) or grpcio-health-checking is installed, their
modules are used, and this package's own copies under
linkgateway_client._protos are never imported; otherwise the own copies are
(Debian ships neither)."""

import importlib

# Where the official distributions keep a module, when not under its own name.
_OFFICIAL_NAMES = {
    "grpc.health.v1.health_pb2": "grpc_health.v1.health_pb2",
    "grpc.health.v1.health_pb2_grpc": "grpc_health.v1.health_pb2_grpc",
}


def official_or_own(name):
    """The module `name` (e.g. "google.rpc.status_pb2") as its official
    distribution installs it, else this package's own copy."""
    try:
        return importlib.import_module(_OFFICIAL_NAMES.get(name, name))
    except ImportError:
        return importlib.import_module(f"linkgateway_client._protos.{name}")
