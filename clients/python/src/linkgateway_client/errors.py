"""A failed call's google.rpc.Status details (grpc-status-details-bin)."""

from google.rpc import error_details_pb2, status_pb2


def explain(error):
    """The code, message, ErrorInfo, RetryInfo and BadRequest of a
    grpc.RpcError, as a dict."""
    out = {"code": error.code().name, "message": error.details()}
    trailer = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
    if not trailer:
        return out
    for detail in status_pb2.Status.FromString(trailer).details:
        info, retry, bad = (error_details_pb2.ErrorInfo(), error_details_pb2.RetryInfo(),
                            error_details_pb2.BadRequest())
        if detail.Unpack(info):
            out.update(reason=info.reason, domain=info.domain, metadata=dict(info.metadata))
            if "upstreamRequestId" in info.metadata:
                out["upstreamRequestId"] = info.metadata["upstreamRequestId"]
        elif detail.Unpack(retry):
            out["retryDelaySeconds"] = retry.retry_delay.ToTimedelta().total_seconds()
        elif detail.Unpack(bad):
            out["fieldViolations"] = [{"field": v.field, "description": v.description}
                                      for v in bad.field_violations]
    return out
