"""An HTTPS server that accepts only correctly SigV4-signed requests.

Used to prove the gateway's signing against botocore. Every request is
verified; 200 {"accessKeyId": ...} when the signature is valid, otherwise the
AWS JSON 1.0 error AWS would send.
"""

import https_emulator
import aws_sigv4


class State(https_emulator.EmulatorState):
    def __init__(self, args):
        self.args = args
        super().__init__()


class Handler(https_emulator.EmulatorHandler):
    def route(self, path, body):
        args = self.state.args
        try:
            akid = aws_sigv4.verify(self.command, self.path, dict(self.headers.items()), body,
                                    args.keys, args.region, args.service)
        except aws_sigv4.SigV4Error as e:
            self.send(e.status, {"__type": e.code, "message": e.message},
                      headers={"x-amzn-ErrorType": e.code, "x-amzn-RequestId": "req-sig"},
                      content_type="application/x-amz-json-1.0")
            return
        self.send(200, {"accessKeyId": akid, "target": self.headers.get("X-Amz-Target", "")},
                  content_type="application/x-amz-json-1.0")


def main():
    parser = https_emulator.arguments(__doc__)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--service", default="sms-voice")
    parser.add_argument("--key-id", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--session-token", default=None)
    args = parser.parse_args()
    args.keys = {args.key_id: (args.secret, args.session_token)}
    https_emulator.serve(Handler, args, State(args))


if __name__ == "__main__":
    main()
