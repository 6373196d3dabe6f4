"""Fake AWS Security Token Service (sts.{region}.amazonaws.com), HTTPS.

The query protocol of the STS API reference: a form-encoded POST (or a GET
with the same query) with Action and Version=2011-06-15, answered in XML
(AssumeRoleResponse, AssumeRoleWithWebIdentityResponse, ErrorResponse with
Type, Code, Message and RequestId).

AssumeRole must be SigV4-signed for service "sts" in --region: the
signature is recomputed with botocore's signer (aws_sigv4.py) against the
keys in --keys-file, where every issuer adds the credentials it hands out.
The role must exist and trust the caller: a principal ARN, or a role ARN
whose sessions it trusts, or "*"; a role may require an ExternalId.
AssumeRoleWithWebIdentity is not signed: its proof is an OIDC token, a JWT
signed (HS256) with --oidc-key by the issuer --oidc-issuer for the audience
sts.amazonaws.com; a role trusts "oidc:<sub>". Checks and error codes follow
the API reference: ValidationError for a bad RoleSessionName or
DurationSeconds (900 s to the role's maximum, 3600 s by default),
AccessDenied, InvalidIdentityToken, ExpiredTokenException (token expired),
InvalidClientTokenId, SignatureDoesNotMatch, ExpiredToken (the signing
credentials expired).

Test knobs (POST /__emulator/<verb>):
  roles          {"arn", "trust": [...], "externalId", "maxSessionDuration"}
  lifetime       {"seconds": N}: credentials expire after N seconds, shorter
                 than STS's 15-minute minimum, so refreshes show in seconds
  deterministic  {"on": true}: credentials derived from the request (the
                 same request gets the same keys), so two resolvers can be
                 compared exactly; real STS mints new keys every call
  issued         the credentials handed out: accessKeyId, action, role,
                 session, caller (source principal or token subject), jti,
                 issuedAt and expires (epoch seconds)
"""

import base64
import hashlib
import hmac
import json
import re
import time
import urllib.parse
import uuid

import aws_keys
import aws_sigv4
import https_emulator

NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
ROLE_ARN = re.compile(r"^arn:aws:iam::(\d{12}):role/(?:.*/)?([\w+=,.@-]+)$")
ASSUMED = re.compile(r"^arn:aws:sts::(\d{12}):assumed-role/([\w+=,.@-]+)/")

# aws_sigv4 raises the JSON protocol's names; the query protocol's differ.
QUERY_NAMES = {
    "UnrecognizedClientException": (403, "InvalidClientTokenId"),
    "InvalidSignatureException": (403, "SignatureDoesNotMatch"),
    "MissingAuthenticationTokenException": (403, "MissingAuthenticationToken"),
    "IncompleteSignatureException": (400, "IncompleteSignature"),
}


class StsError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def b64url_decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class State(https_emulator.EmulatorState):
    def __init__(self, args):
        self.args = args
        self.store = aws_keys.KeyStore(args.keys_file)
        self.verifier = aws_keys.Verifier(self.store)
        super().__init__()

    def reset(self):
        super().reset()
        self.roles = {}
        self.lifetime = None
        self.deterministic = False
        self.issued = []


class Handler(https_emulator.EmulatorHandler):
    scenario_content_type = "text/xml"

    def scenario_headers(self):
        return {"x-amzn-RequestId": str(uuid.uuid4())}

    def error(self, e):
        request_id = str(uuid.uuid4())
        body = (f'<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>Sender</Type>'
                f"<Code>{e.code}</Code><Message>{escape(e.message)}</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>")
        self.reply(e.status, body, {"x-amzn-RequestId": request_id}, "text/xml")

    def route(self, path, body):
        if path != "/" or self.command not in ("GET", "POST"):
            return self.error(StsError(404, "UnknownOperation", "Not found"))
        query = self.path.split("?", 1)[1] if "?" in self.path else ""
        form = urllib.parse.parse_qs(body.decode() if self.command == "POST" else query,
                                     keep_blank_values=True)
        params = {k: v[0] for k, v in form.items()}
        action = params.get("Action")
        try:
            if not action:
                raise StsError(400, "MissingAction", "Missing Action")
            if params.get("Version") != "2011-06-15":
                raise StsError(400, "InvalidAction", "Could not find operation for version")
            if action == "AssumeRole":
                result = self.assume_role(params, body)
            elif action == "AssumeRoleWithWebIdentity":
                result = self.assume_role_with_web_identity(params)
            else:
                raise StsError(400, "InvalidAction", f"Could not find operation {action}")
        except StsError as e:
            return self.error(e)
        request_id = str(uuid.uuid4())
        xml = (f'<{action}Response xmlns="{NAMESPACE}"><{action}Result>{result}'
               f"</{action}Result><ResponseMetadata><RequestId>{request_id}</RequestId>"
               f"</ResponseMetadata></{action}Response>")
        self.reply(200, xml, {"x-amzn-RequestId": request_id}, "text/xml")

    # -- the two actions ------------------------------------------------------
    def role(self, params):
        arn = params.get("RoleArn", "")
        session = params.get("RoleSessionName", "")
        if not SESSION_NAME.match(session):
            raise StsError(400, "ValidationError",
                           "1 validation error detected: Value at 'roleSessionName' failed to "
                           "satisfy constraint: Member must satisfy regular expression pattern: "
                           r"[\w+=,.@-]*")
        role = self.state.roles.get(arn)
        match = ROLE_ARN.match(arn)
        if role is None or match is None:
            raise StsError(403, "AccessDenied", f"Not authorized to perform sts:AssumeRole on {arn}")
        duration = params.get("DurationSeconds")
        if duration is not None:
            if not duration.isdigit() or int(duration) < 900:
                raise StsError(400, "ValidationError",
                               "1 validation error detected: Value at 'durationSeconds' failed "
                               "to satisfy constraint: Member must have value greater than or "
                               "equal to 900")
            if int(duration) > role.get("maxSessionDuration", 3600):
                raise StsError(400, "ValidationError",
                               "The requested DurationSeconds exceeds the MaxSessionDuration set "
                               "for this role.")
        return arn, role, match, session, int(duration or 3600)

    def issue(self, action, arn, match, session, duration, caller, seed_parts, extra):
        state = self.state
        account, name = match.group(1), match.group(2)
        principal = f"arn:aws:sts::{account}:assumed-role/{name}/{session}"
        lifetime = state.lifetime if state.lifetime is not None else duration
        seed = "|".join([action, arn, session, str(duration), *seed_parts]) \
            if state.deterministic else None
        issued_at = time.time()
        credentials = state.store.issue(principal, lifetime, seed)
        with state.lock:
            state.issued.append({"accessKeyId": credentials["AccessKeyId"], "action": action,
                                 "role": arn, "session": session, "caller": caller,
                                 "issuedAt": issued_at, "expires": credentials["expires"],
                                 **extra})
        return (f"<AssumedRoleUser><Arn>{principal}</Arn>"
                f"<AssumedRoleId>AROA{hashlib.sha1(arn.encode()).hexdigest()[:17].upper()}"
                f":{session}</AssumedRoleId></AssumedRoleUser>"
                f"<Credentials><AccessKeyId>{credentials['AccessKeyId']}</AccessKeyId>"
                f"<SecretAccessKey>{credentials['SecretAccessKey']}</SecretAccessKey>"
                f"<SessionToken>{credentials['SessionToken']}</SessionToken>"
                f"<Expiration>{credentials['Expiration']}</Expiration></Credentials>")

    def assume_role(self, params, body):
        state = self.state
        try:
            akid = aws_sigv4.verify(self.command, self.path, dict(self.headers.items()), body,
                                    state.verifier, state.args.region, "sts",
                                    expired_code="ExpiredToken")
        except aws_sigv4.SigV4Error as e:
            status, code = QUERY_NAMES.get(e.code, (e.status, e.code))
            raise StsError(status, code, e.message)
        caller = state.verifier.principal(akid) or akid
        arn, role, match, session, duration = self.role(params)
        if not trusts(role, caller):
            raise StsError(403, "AccessDenied",
                           f"User: {caller} is not authorized to perform: sts:AssumeRole on "
                           f"resource: {arn}")
        if role.get("externalId") is not None and params.get("ExternalId") != role["externalId"]:
            raise StsError(403, "AccessDenied",
                           f"User: {caller} is not authorized to perform: sts:AssumeRole on "
                           f"resource: {arn}")
        return self.issue("AssumeRole", arn, match, session, duration, caller,
                          [caller, params.get("ExternalId", "")],
                          {"externalId": params.get("ExternalId")}) + \
            "<PackedPolicySize>6</PackedPolicySize>"

    def assume_role_with_web_identity(self, params):
        claims = self.web_identity_claims(params.get("WebIdentityToken", ""))
        arn, role, match, session, duration = self.role(params)
        subject = f"oidc:{claims['sub']}"
        if not trusts(role, subject):
            raise StsError(403, "AccessDenied",
                           "Not authorized to perform sts:AssumeRoleWithWebIdentity")
        return self.issue("AssumeRoleWithWebIdentity", arn, match, session, duration, subject,
                          [subject], {"jti": claims.get("jti")}) + \
            (f"<SubjectFromWebIdentityToken>{escape(claims['sub'])}"
             f"</SubjectFromWebIdentityToken><Audience>sts.amazonaws.com</Audience>"
             f"<Provider>{escape(claims['iss'])}</Provider>")

    def web_identity_claims(self, token):
        args = self.state.args
        parts = token.split(".")
        try:
            if len(parts) != 3:
                raise ValueError("not a JWT")
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            signature = b64url_decode(parts[2])
        except (ValueError, UnicodeDecodeError):
            raise StsError(400, "InvalidIdentityToken", "The ID token provided is not a valid JWT")
        expected = hmac.new(args.oidc_key.encode(), f"{parts[0]}.{parts[1]}".encode(),
                            hashlib.sha256).digest()
        if header.get("alg") != "HS256" or not hmac.compare_digest(signature, expected):
            raise StsError(400, "InvalidIdentityToken",
                           "Couldn't verify the signature of the token with the provider's key")
        if claims.get("iss") != args.oidc_issuer:
            raise StsError(400, "InvalidIdentityToken",
                           "No OpenIDConnect provider found in your account for "
                           f"{claims.get('iss')}")
        if claims.get("aud") != "sts.amazonaws.com":
            raise StsError(400, "InvalidIdentityToken", "Incorrect token audience")
        now = int(time.time())
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= now:
            raise StsError(400, "ExpiredTokenException",
                           f"Token expired: current date/time {now} must be before the "
                           f"expiration date/time {claims.get('exp')}")
        if not claims.get("sub"):
            raise StsError(400, "InvalidIdentityToken", "The token has no subject")
        return claims

    def control(self, verb, data):
        state = self.state
        if verb == "roles":
            state.roles[data["arn"]] = data
            return self.send(200, {})
        if verb == "lifetime":
            state.lifetime = data.get("seconds")
            return self.send(200, {})
        if verb == "deterministic":
            state.deterministic = bool(data.get("on"))
            return self.send(200, {})
        if verb == "issued":
            return self.send(200, state.issued)
        return False


def trusts(role, principal):
    for entry in role.get("trust", []):
        if entry in ("*", principal):
            return True
        # A role ARN in a trust policy trusts its own sessions.
        assumed = ASSUMED.match(principal)
        role_arn = ROLE_ARN.match(entry)
        if assumed and role_arn and assumed.groups() == role_arn.groups():
            return True
    return False


def escape(text):
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def main():
    parser = https_emulator.arguments(__doc__)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--keys-file", required=True, help="aws_keys.KeyStore file")
    parser.add_argument("--oidc-issuer", default="https://oidc.emulator.test")
    parser.add_argument("--oidc-key", default="oidc-test-signing-key",
                        help="the issuer's HS256 key (stands in for its JWKS)")
    args = parser.parse_args()
    https_emulator.serve(Handler, args, State(args))


if __name__ == "__main__":
    main()
