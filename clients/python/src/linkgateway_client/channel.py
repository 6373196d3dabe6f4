"""Channels to the gateway: plaintext, TLS, or mTLS."""

import grpc


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def channel(target, ca_file=None, cert_file=None, key_file=None):
    """A channel to `target`: TLS when a CA or a client certificate is given."""
    if not ca_file and not cert_file:
        return grpc.insecure_channel(target)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=_read(ca_file) if ca_file else None,
        private_key=_read(key_file) if key_file else None,
        certificate_chain=_read(cert_file) if cert_file else None)
    return grpc.secure_channel(target, credentials)
