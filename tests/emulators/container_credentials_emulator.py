"""Fake container credentials endpoint, plain HTTP: the ECS agent's
(169.254.170.2, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) and the EKS Pod
Identity agent's (169.254.170.23, AWS_CONTAINER_CREDENTIALS_FULL_URI with
the service account token from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE in the
Authorization header), as the AWS SDKs and Tools reference guide describes
the container credential provider:

  GET <path> -> {"AccessKeyId", "SecretAccessKey", "Token", "AccountId",
                 "Expiration", "RoleArn"}
  a path it does not serve -> 404; a missing or wrong Authorization where
  one is required -> 401 {"code", "message"}

--relative-path serves without authorization (ECS); --token-path requires
the token --token-file holds, read at every request (Kubernetes rotates it).
Credentials stay the same until they are due for rotation (the agents hand
out fresh ones well before expiry); they are added to --keys-file.

Test knobs: lifetime {"seconds": N}, rotate.
"""

import time

import aws_keys
import https_emulator


class State(https_emulator.EmulatorState):
    def __init__(self, args):
        self.args = args
        self.store = aws_keys.KeyStore(args.keys_file)
        super().__init__()

    def reset(self):
        super().reset()
        self.lifetime = 6 * 3600
        self.credentials = None

    def current(self):
        with self.lock:
            if self.credentials is None or \
                    self.credentials["expires"] - time.time() <= min(900, self.lifetime / 2):
                principal = (f"arn:aws:sts::{self.args.account}:assumed-role/"
                             f"{self.args.role}/task")
                self.credentials = self.store.issue(principal, self.lifetime)
            return self.credentials


class Handler(https_emulator.EmulatorHandler):
    def route(self, path, body):
        args = self.state.args
        if self.command != "GET" or path not in (args.relative_path, args.token_path):
            return self.reply(404, {"code": "NotFound", "message": f"no credentials at {path}"})
        if path == args.token_path:
            expected = None
            if args.token_file:
                with open(args.token_file) as f:
                    expected = f.read()
            if expected is None or self.headers.get("Authorization") != expected:
                return self.reply(401, {"code": "AccessDeniedException",
                                        "message": "the service account token is not valid"})
        c = self.state.current()
        self.reply(200, {"AccessKeyId": c["AccessKeyId"], "SecretAccessKey": c["SecretAccessKey"],
                         "Token": c["SessionToken"], "AccountId": args.account,
                         "Expiration": c["Expiration"],
                         "RoleArn": f"arn:aws:iam::{args.account}:role/{args.role}"})

    def control(self, verb, data):
        state = self.state
        with state.lock:
            if verb == "lifetime":
                state.lifetime, state.credentials = data["seconds"], None
            elif verb == "rotate":
                state.credentials = None
            else:
                return False
        return self.send(200, {})


def main():
    parser = https_emulator.arguments(__doc__)
    parser.add_argument("--keys-file", required=True, help="aws_keys.KeyStore file")
    parser.add_argument("--relative-path", default="/v2/credentials/task-1")
    parser.add_argument("--token-path", default="/v1/credentials")
    parser.add_argument("--token-file", default=None)
    parser.add_argument("--account", default="111122223333")
    parser.add_argument("--role", default="linkgateway-task-role")
    args = parser.parse_args()
    https_emulator.serve(Handler, args, State(args))


if __name__ == "__main__":
    main()
