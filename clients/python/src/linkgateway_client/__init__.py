"""linkgateway's Python client: the generated modules are `linkgateway.v1`
(messages and stubs) and `google.rpc` (status details); `explain` reads a
failed call's google.rpc.Status details, `channel` opens a channel."""

from linkgateway_client.errors import explain
from linkgateway_client.channel import channel

__all__ = ["channel", "explain"]
