"""Fake AWS End User Messaging SMS and Voice v2 (pinpoint-sms-voice-v2) for
DeleteRegistration, over the AWS JSON 1.0 protocol on HTTPS.

It verifies each request's SigV4 signature with botocore (an implementation
independent of the gateway's), checks the X-Amz-Target and Content-Type, and
keeps registrations as state: a deleted registration is answered once with
status DELETED, then it is not found. Shapes, enums and errors follow the
botocore model (../../shared/reference/sms-voice-v2.service-2.json) and the
Smithy awsJson1_0 error format.

Magic ids play the other documented errors: reg-conflict (ConflictException),
reg-denied (AccessDeniedException), reg-throttle (ThrottlingException),
reg-500 (InternalServerException). /__emulator/registrations seeds state;
/__emulator/error-style chooses how error names are spelled:
  {"typeStyle": "namespaced" | "bare" | "suffixed" | "header-only",
   "messageKey": "Message" | "message"}
"""

import json
import re
import time
import uuid

import aws_keys
import aws_sigv4
import https_emulator
from token_bucket import TokenBucket

TARGET = "PinpointSMSVoiceV2.DeleteRegistration"
CONTENT_TYPE = "application/x-amz-json-1.0"
NAMESPACE = "com.amazonaws.pinpointsmsvoicev2"
ID_PATTERN = re.compile(r"^[A-Za-z0-9_:/-]+$")
ARN = re.compile(r"^arn:aws:sms-voice:[a-z0-9-]+:\d{12}:registration/(.+)$")


class State(https_emulator.EmulatorState):
    def __init__(self, args):
        self.args = args
        # The key it is started with, and those an issuing emulator (STS,
        # instance metadata, the container endpoint) added to --keys-file.
        self.keys = aws_keys.Verifier(
            aws_keys.KeyStore(args.keys_file) if args.keys_file else None,
            {args.key_id: (args.secret, args.session_token)})
        super().__init__()

    def reset(self):
        super().reset()
        self.registrations = {}
        self.type_style = "namespaced"
        self.message_key = "Message"
        # The account's DeleteRegistration quota; None: unlimited.
        self.bucket = (TokenBucket(self.args.rate, self.args.burst)
                       if self.args.rate else None)


class Handler(https_emulator.EmulatorHandler):
    scenario_content_type = CONTENT_TYPE

    def scenario_headers(self):
        return {"x-amzn-RequestId": str(uuid.uuid4())}

    def error(self, status, name, message, **members):
        state = self.state
        body = dict(members)
        body[state.message_key] = message
        type_name = {"namespaced": f"{NAMESPACE}#{name}",
                     "bare": name,
                     "suffixed": f"{name}:http://internal.amazon.com/coral/{NAMESPACE}/",
                     }.get(state.type_style)
        if type_name is not None:
            body["__type"] = type_name
        self.reply(status, body, {"x-amzn-RequestId": str(uuid.uuid4()),
                                  "X-Amzn-ErrorType": f"{name}:http://internal.amazon.com/"},
                   CONTENT_TYPE)

    def route(self, path, body):
        state = self.state
        if self.command != "POST" or path != "/":
            return self.error(404, "UnknownOperationException", "Not found")
        try:
            aws_sigv4.verify(self.command, self.path, dict(self.headers.items()), body,
                             state.keys, state.args.region, "sms-voice")
        except aws_sigv4.SigV4Error as e:
            return self.error(e.status, e.code, e.message)
        if self.headers.get("X-Amz-Target") != TARGET:
            return self.error(400, "UnknownOperationException",
                              f"Unknown operation {self.headers.get('X-Amz-Target')}")
        if self.headers.get("Content-Type") != CONTENT_TYPE:
            return self.error(400, "SerializationException", "Unexpected content type")
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return self.error(400, "SerializationException", "Body is not JSON")
        registration_id = request.get("RegistrationId")
        if not isinstance(registration_id, str) or not registration_id:
            return self.error(400, "ValidationException", "RegistrationId is required",
                              Reason="MISSING_PARAMETER",
                              Fields=[{"Name": "RegistrationId", "Message": "Member must not be null"}])
        if len(registration_id) > 256 or not ID_PATTERN.match(registration_id):
            return self.error(400, "ValidationException",
                              "1 validation error detected",
                              Reason="FIELD_VALIDATION_FAILED",
                              Fields=[{"Name": "RegistrationId",
                                       "Message": "Member must satisfy regular expression pattern: [A-Za-z0-9_:/-]+"}])
        match = ARN.match(registration_id)
        key = match.group(1) if match else registration_id
        if key == "reg-conflict":
            return self.error(400, "ConflictException", "Deletion protection is enabled",
                              Reason="DELETION_PROTECTION_ENABLED", ResourceType="registration",
                              ResourceId=key)
        if key == "reg-denied":
            return self.error(400, "AccessDeniedException", "Account is disabled",
                              Reason="ACCOUNT_DISABLED")
        if key == "reg-throttle" or (state.bucket and not state.bucket.take()):
            state.count("throttled")
            return self.error(400, "ThrottlingException", "Rate exceeded")
        if key == "reg-500":
            return self.error(500, "InternalServerException", "Internal failure",
                              RequestId=str(uuid.uuid4()))
        with state.lock:
            registration = state.registrations.pop(key, None)
        if registration is None:
            return self.error(400, "ResourceNotFoundException",
                              f"Registration {key} not found",
                              ResourceType="registration", ResourceId=key)
        registration["RegistrationStatus"] = "DELETED"
        self.reply(200, registration, {"x-amzn-RequestId": str(uuid.uuid4())}, CONTENT_TYPE)

    def control(self, verb, data):
        state = self.state
        if verb == "registrations":
            registration_id = data["RegistrationId"]
            registration = {
                "RegistrationArn": f"arn:aws:sms-voice:{state.args.region}:111122223333:"
                                   f"registration/{registration_id}",
                "RegistrationId": registration_id,
                "RegistrationType": "US_TEN_DLC_BRAND_REGISTRATION",
                "RegistrationStatus": "CREATED",
                "CurrentVersionNumber": 1,
                "AdditionalAttributes": {},
                "CreatedTimestamp": 1700000000.5,
            }
            registration.update(data)
            state.registrations[registration_id] = registration
            return self.send(200, {})
        if verb == "error-style":
            state.type_style = data.get("typeStyle", state.type_style)
            state.message_key = data.get("messageKey", state.message_key)
            return self.send(200, {})
        return False


def main():
    parser = https_emulator.arguments(__doc__)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--key-id", required=True, help="the access key id it accepts")
    parser.add_argument("--secret", required=True)
    parser.add_argument("--session-token", default=None,
                        help="when set, requests must carry (and sign) this token")
    parser.add_argument("--keys-file", default=None,
                        help="more keys it accepts (aws_keys.KeyStore), read at each request")
    parser.add_argument("--rate", type=float, default=0,
                        help="the account's quota, requests/s (ThrottlingException beyond); 0: none")
    parser.add_argument("--burst", type=int, default=5)
    args = parser.parse_args()
    https_emulator.serve(Handler, args, State(args))


if __name__ == "__main__":
    main()
