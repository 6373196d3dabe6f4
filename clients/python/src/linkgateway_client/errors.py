"""A failed call's google.rpc.Status details (grpc-status-details-bin)."""

from typing import Any, Dict

import grpc

from linkgateway_client.protos import error_details_pb2, status_pb2


def explain(error: grpc.RpcError) -> Dict[str, Any]:
    """The code and message of a failed call and its ErrorInfo, RetryInfo and
    BadRequest details, as a dict in the CLI contract's fixed key order: code,
    message, reason, domain, metadata (keys sorted), upstreamRequestId,
    retryDelaySeconds, fieldViolations (the last five only when present)."""
    out: Dict[str, Any] = {"code": error.code().name, "message": error.details()}
    trailer = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
    if not trailer:
        return out
    info, retry, bad = None, None, None
    for detail in status_pb2.Status.FromString(trailer).details:
        for message in (error_details_pb2.ErrorInfo(), error_details_pb2.RetryInfo(),
                        error_details_pb2.BadRequest()):
            if detail.Unpack(message):
                info = message if isinstance(message, error_details_pb2.ErrorInfo) else info
                retry = message if isinstance(message, error_details_pb2.RetryInfo) else retry
                bad = message if isinstance(message, error_details_pb2.BadRequest) else bad
    if info is not None:
        out.update(reason=info.reason, domain=info.domain,
                   metadata=dict(sorted(info.metadata.items())))
        if info.metadata.get("upstreamRequestId"):
            out["upstreamRequestId"] = info.metadata["upstreamRequestId"]
    if retry is not None:
        out["retryDelaySeconds"] = retry.retry_delay.seconds + retry.retry_delay.nanos / 1e9
    if bad is not None:
        out["fieldViolations"] = [{"field": v.field, "description": v.description}
                                  for v in bad.field_violations]
    return out
