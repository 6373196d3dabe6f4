"""Fake EC2 instance metadata service (169.254.169.254), plain HTTP, with
IMDSv2 required (HttpTokens=required), as the EC2 user guide describes:

  PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds (1-21600)
      -> a session token (and the header echoed); no or a bad TTL -> 400; a
      request with X-Forwarded-For -> 403 (tokens are not for proxies)
  GET with X-aws-ec2-metadata-token, else 401 (no IMDSv1):
      /latest/meta-data/iam/security-credentials/        -> the role's name
      /latest/meta-data/iam/security-credentials/<role>  -> {"Code": "Success",
          "LastUpdated", "Type": "AWS-HMAC", "AccessKeyId", "SecretAccessKey",
          "Token", "Expiration"}
      no role attached, or another name -> 404

The role's credentials stay the same until EC2 rotates them, which it does
at least five minutes before they expire; they are added to --keys-file so
the other emulators accept them.

Test knobs (POST /__emulator/<verb>):
  role       {"name": "..."} or {"name": null} (no role attached)
  lifetime   {"seconds": N}: rotated credentials last N seconds (default 6 h)
  rotate     new credentials now
  hop-limit  {"exceeded": true}: the token PUT's answer never arrives, as in
             a container behind the instance's hop limit of 1
"""

import secrets
import time

import aws_keys
import https_emulator

ROLES = "/latest/meta-data/iam/security-credentials/"
ROTATE_BEFORE_S = 300  # new credentials at least 5 minutes before expiry


class State(https_emulator.EmulatorState):
    def __init__(self, args):
        self.args = args
        self.store = aws_keys.KeyStore(args.keys_file)
        super().__init__()

    def reset(self):
        super().reset()
        self.role = self.args.role
        self.lifetime = 6 * 3600
        self.credentials = None
        self.tokens = {}
        self.hop_limit_exceeded = False

    def current(self):
        """The role's credentials, rotated when due."""
        with self.lock:
            now = time.time()
            due = self.credentials is None or \
                self.credentials["expires"] - now <= min(ROTATE_BEFORE_S, self.lifetime / 2)
            if due:
                principal = (f"arn:aws:sts::{self.args.account}:assumed-role/{self.role}/"
                             f"{self.args.instance_id}")
                self.credentials = self.store.issue(principal, self.lifetime)
                self.credentials["LastUpdated"] = aws_keys.iso8601(now)
            return self.credentials


class Handler(https_emulator.EmulatorHandler):
    scenario_content_type = "text/plain"

    def text(self, status, body):
        self.reply(status, body, {}, "text/plain")

    def route(self, path, body):
        state = self.state
        if path == "/latest/api/token":
            return self.token()
        token = self.headers.get("X-aws-ec2-metadata-token")
        with state.lock:
            expires = state.tokens.get(token)
        if token is None or expires is None or expires < time.time():
            return self.text(401, "")
        if self.command != "GET":
            return self.text(405, "")
        if path == ROLES:
            return self.text(200, state.role) if state.role else self.text(404, "")
        if state.role and path == ROLES + state.role:
            c = state.current()
            return self.reply(200, {"Code": "Success", "LastUpdated": c["LastUpdated"],
                                    "Type": "AWS-HMAC", "AccessKeyId": c["AccessKeyId"],
                                    "SecretAccessKey": c["SecretAccessKey"],
                                    "Token": c["SessionToken"], "Expiration": c["Expiration"]},
                              {}, "text/plain")
        return self.text(404, "")

    def token(self):
        state = self.state
        if self.command != "PUT":
            return self.text(405, "")
        if self.headers.get("X-Forwarded-For") is not None:
            return self.text(403, "")
        if state.hop_limit_exceeded:
            # The answer's IP TTL runs out on the way: the client sees nothing.
            self.close_connection = True
            return self.wait_for_client_to_leave(time.monotonic() + https_emulator.FAULT_LIMIT_S)
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self.text(400, "")
        token = secrets.token_urlsafe(32)
        with state.lock:
            state.tokens[token] = time.time() + int(ttl)
        self.reply(200, token, {"X-aws-ec2-metadata-token-ttl-seconds": ttl}, "text/plain")

    def control(self, verb, data):
        state = self.state
        with state.lock:
            if verb == "role":
                state.role, state.credentials = data.get("name"), None
            elif verb == "lifetime":
                state.lifetime, state.credentials = data["seconds"], None
            elif verb == "rotate":
                state.credentials = None
            elif verb == "hop-limit":
                state.hop_limit_exceeded = bool(data.get("exceeded"))
            else:
                return False
        return self.send(200, {})


def main():
    parser = https_emulator.arguments(__doc__)
    parser.add_argument("--keys-file", required=True, help="aws_keys.KeyStore file")
    parser.add_argument("--role", default="linkgateway-instance-role")
    parser.add_argument("--account", default="111122223333")
    parser.add_argument("--instance-id", default="i-0123456789abcdef0")
    args = parser.parse_args()
    https_emulator.serve(Handler, args, State(args))


if __name__ == "__main__":
    main()
