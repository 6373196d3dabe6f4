"""The google.rpc, google.longrunning and grpc.health.v1 modules the API
needs, generated into this package's own namespace (the package owns no
top-level `google` or `grpc` module):

    from linkgateway_client.protos import operations_pb2, operations_pb2_grpc

The messages keep their official names (google.rpc.Status, ...) in
protobuf's descriptor pool."""

from linkgateway_client._protos.google.longrunning import operations_pb2, operations_pb2_grpc
from linkgateway_client._protos.google.rpc import code_pb2, error_details_pb2, status_pb2
from linkgateway_client._protos.grpc.health.v1 import health_pb2, health_pb2_grpc

__all__ = ["code_pb2", "error_details_pb2", "health_pb2", "health_pb2_grpc", "operations_pb2",
           "operations_pb2_grpc", "status_pb2"]
