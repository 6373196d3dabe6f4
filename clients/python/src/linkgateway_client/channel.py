"""Channels to the gateway: plaintext, TLS, or mTLS."""

from typing import Optional

import grpc


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def channel(target: str, ca_file: Optional[str] = None, cert_file: Optional[str] = None,
            key_file: Optional[str] = None) -> grpc.Channel:
    """A channel to `target`: TLS when a CA or a client certificate is given
    (the CA replaces the system roots), mTLS with a certificate and its key."""
    if not ca_file and not cert_file:
        return grpc.insecure_channel(target)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=_read(ca_file) if ca_file else None,
        private_key=_read(key_file) if key_file else None,
        certificate_chain=_read(cert_file) if cert_file else None)
    return grpc.secure_channel(target, credentials)
