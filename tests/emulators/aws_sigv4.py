"""Server-side AWS Signature Version 4 verification, for emulators.

The signature is recomputed with botocore's own signer (Debian's
python3-botocore), an implementation independent of the gateway's (libcurl's
CURLOPT_AWS_SIGV4). Errors use the names AWS services answer with.
"""

import datetime
import hmac
import time
import re

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

_AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<akid>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, ?SignedHeaders=(?P<signed>[^,]+), ?"
    r"Signature=(?P<signature>[0-9a-f]{64})$")

MAX_SKEW = datetime.timedelta(minutes=15)


class _ExactHeadersSigner(SigV4Auth):
    """botocore's signer over exactly the headers the client listed.

    botocore leaves out a few headers it never signs itself (user-agent,
    expect, ...); AWS signs whatever SignedHeaders names, so the emulator
    must too.
    """

    def __init__(self, credentials, service, region, signed):
        super().__init__(credentials, service, region)
        self._signed = signed

    def headers_to_sign(self, request):
        headers = HTTPHeaders()
        for name in self._signed:
            headers[name] = request.headers.get(name, "")
        return headers


class SigV4Error(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def verify(method, path, headers, body, keys, region, service, now=None,
           expired_code="ExpiredTokenException"):
    """Checks a request's SigV4 signature; returns the access key id.

    headers: mapping of header name -> value as received (any case).
    keys: access key id -> (secret access key, session token or None[,
    expiry in epoch seconds or None]), read with .get (a dict, or
    aws_keys.Verifier).
    Raises SigV4Error on any mismatch; `expired_code` names the error for
    temporary credentials past their expiry (the service's spelling).
    """
    lower = {k.lower(): v for k, v in headers.items()}
    authorization = lower.get("authorization")
    if not authorization:
        raise SigV4Error(403, "MissingAuthenticationTokenException",
                         "Missing Authentication Token")
    match = _AUTH.match(authorization)
    if not match:
        raise SigV4Error(400, "IncompleteSignatureException",
                         "Authorization header requires Credential, SignedHeaders and Signature")
    akid = match["akid"]
    entry = keys.get(akid)
    if entry is None:
        raise SigV4Error(400, "UnrecognizedClientException",
                         "The security token included in the request is invalid.")
    if match["region"] != region or match["service"] != service:
        raise SigV4Error(403, "InvalidSignatureException",
                         f"Credential should be scoped to a valid region and service "
                         f"'{region}/{service}'")
    amz_date = lower.get("x-amz-date", "")
    try:
        signed_at = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
    except ValueError:
        raise SigV4Error(400, "IncompleteSignatureException", "X-Amz-Date is missing or invalid")
    now = now or datetime.datetime.utcnow()
    if abs(now - signed_at) > MAX_SKEW:
        raise SigV4Error(400, "RequestExpired", "Signature expired")
    if match["date"] != amz_date[:8]:
        raise SigV4Error(403, "InvalidSignatureException", "Credential date does not match")

    secret, token = entry[0], entry[1]
    expires = entry[2] if len(entry) > 2 else None
    if expires is not None and time.time() >= expires:
        raise SigV4Error(400, expired_code,
                         "The security token included in the request is expired")
    signed = match["signed"].split(";")
    for required in ("host", "x-amz-date"):
        if required not in signed:
            raise SigV4Error(403, "InvalidSignatureException", f"'{required}' must be signed")
    if token is not None:
        if lower.get("x-amz-security-token") != token:
            raise SigV4Error(403, "UnrecognizedClientException",
                             "The security token included in the request is invalid.")
        if "x-amz-security-token" not in signed:
            raise SigV4Error(403, "InvalidSignatureException",
                             "'x-amz-security-token' must be signed")

    # Rebuild the request from exactly the headers the client signed.
    request = AWSRequest(method=method, url=f"https://{lower.get('host', '')}{path}",
                         data=body, headers={h: lower.get(h, "") for h in signed})
    request.context["timestamp"] = amz_date
    signer = _ExactHeadersSigner(Credentials(akid, secret, token), service, region, signed)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, match["signature"]):
        raise SigV4Error(403, "InvalidSignatureException",
                         "The request signature we calculated does not match the signature "
                         "you provided.")
    return akid
