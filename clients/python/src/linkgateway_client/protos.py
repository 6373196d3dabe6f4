"""The google.rpc, google.longrunning and grpc.health.v1 modules the API
needs, for callers of this package:

    from linkgateway_client.protos import operations_pb2, operations_pb2_grpc

Each is the official distribution's module when that is installed
(googleapis-common-protos, grpcio-health-checking), else this package's own
copy under linkgateway_client._protos: the package owns no top-level
`google` or `grpc` module, and never loads a second copy of a .proto file
into protobuf's descriptor pool (see _official.py)."""

from linkgateway_client._official import official_or_own

code_pb2 = official_or_own("google.rpc.code_pb2")
status_pb2 = official_or_own("google.rpc.status_pb2")
error_details_pb2 = official_or_own("google.rpc.error_details_pb2")
operations_pb2 = official_or_own("google.longrunning.operations_pb2")
health_pb2 = official_or_own("grpc.health.v1.health_pb2")
health_pb2_grpc = official_or_own("grpc.health.v1.health_pb2_grpc")
# The Operations service's stub: this package's own (it only names the
# messages of operations_pb2, whichever copy that is).
from linkgateway_client._protos.google.longrunning import operations_pb2_grpc  # noqa: E402

__all__ = ["code_pb2", "error_details_pb2", "health_pb2", "health_pb2_grpc", "operations_pb2",
           "operations_pb2_grpc", "status_pb2"]
