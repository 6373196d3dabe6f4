"""linkgateway's Python client. The generated modules are `linkgateway.v1`
(the API's messages and stubs, UnlinkService included) and
`linkgateway_client.protos` (google.rpc, google.longrunning's Operations,
grpc.health.v1); `channel` opens a channel, `explain` reads a failed call's
google.rpc.Status details, `new_request_id` makes an AIP-155 request id."""

import uuid

from linkgateway_client.channel import channel
from linkgateway_client.errors import explain

__version__ = "0.6.0"


def new_request_id() -> str:
    """A fresh request_id for one logical delete or unlink start: send the
    same one again on a retry, and the gateway answers from its record."""
    return str(uuid.uuid4())


__all__ = ["channel", "explain", "new_request_id"]
