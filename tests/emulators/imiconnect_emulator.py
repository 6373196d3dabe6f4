"""Fake IMIconnect (Webex Connect) Profile API v2 on HTTPS: delete a
customer's device app profile, and read a profile transaction's status.

It checks the `key` header (7002 missing, 7001 wrong), the mandatory path
parameters (7003), the client's source IP against an allow-list (7010), the
tenant TPS (7020), and queues deletions: a deletion answers "queued" with a
transid, and the transaction completes after --queue-delay-ms; until then the
status API answers 7600 (no result). Business errors ride on HTTP 200.

--envelope chooses the documented response shape: "legacy"
({"response": {"code", "description", "transid"}}) or "v6" (top-level code,
description, transid, TotalCount, Results; a queued deletion is HTTP 202).
/__emulator/profiles seeds profiles; /__emulator/envelope switches the shape;
/__emulator/profileKey {"key"} replaces the tenant's key, as regenerating it
in the portal does: the old key is refused from then on.
"""

import re
import time
import urllib.parse
import uuid

import https_emulator

DELETE = re.compile(r"^/resources/v2/customerappprofile/([^/]*)/([^/]*)/([^/]*)$")
STATUS = re.compile(r"^/resources/v2/profile/status/([^/]*)$")


class State(https_emulator.EmulatorState):
    def __init__(self, args):
        self.args = args
        super().__init__()

    def reset(self):
        super().reset()
        self.profiles = set()
        self.transactions = {}  # transid -> {"due", "item", "done", "result"}
        self.envelope = self.args.envelope
        self.profile_key = self.args.profile_key
        self.window = []  # request times in the last second, for the TPS limit


class Handler(https_emulator.EmulatorHandler):
    def answer(self, code, description, transid=None, http_status=200, extra=None):
        state = self.state
        if state.envelope == "legacy":
            body = {"response": {"code": code, "description": description}}
            if transid:
                body["response"]["transid"] = transid
        else:
            body = {"code": code, "description": description}
            if transid:
                body["transid"] = transid
            body.update(extra or {})
        self.reply(http_status, body, content_type="application/json")

    def checks(self):
        """The common checks; True when an error was answered."""
        state, args = self.state, self.state.args
        key = self.headers.get("key")
        if not key:
            self.answer("7002", "Service Key Missing")
            return True
        if key != state.profile_key:
            self.answer("7001", "Authentication failed")
            return True
        if self.client_address[0] not in args.allow_ip:
            self.answer("7010", "Source IP is not in the allowed list")
            return True
        with state.lock:
            now = time.monotonic()
            state.window = [t for t in state.window if now - t < 1.0]
            if len(state.window) >= args.tps:
                state.count("throttled")
                self.answer("7020", "You have reached the maximum transaction limit")
                return True
            state.window.append(now)
        return False

    def route(self, path, body):
        match = DELETE.match(path)
        if match and self.command == "DELETE":
            return self.delete(*[part for part in match.groups()])
        match = STATUS.match(path)
        if match and self.command == "GET":
            return self.status(match.group(1))
        self.reply(404, {"code": "404", "description": "Not Found"})

    def delete(self, app, customer, device):
        if self.checks():
            return
        app, customer, device = (urllib.parse.unquote(p) for p in (app, customer, device))
        if not app or not customer or not device:
            return self.answer("7003", "Mandatory parameters missing")
        state = self.state
        with state.lock:
            if (app, customer, device) not in state.profiles:
                return self.answer("7014", "app profile not found")
            transid = str(uuid.uuid4())
            state.transactions[transid] = {
                "due": time.monotonic() + state.args.queue_delay_ms / 1000.0,
                "item": (app, customer, device), "done": False}
        if state.envelope == "legacy":
            return self.answer("1001", "Queued", transid)
        self.answer("1000", "QUEUED", transid, http_status=202,
                    extra={"TotalCount": 1, "SuccessCount": 1, "FailureCount": 0,
                           "Results": [{"code": "1000", "customerId": customer,
                                        "description": "QUEUED"}]})

    def status(self, transid):
        if self.checks():
            return
        state = self.state
        with state.lock:
            transaction = state.transactions.get(transid)
            if transaction and not transaction["done"] and time.monotonic() >= transaction["due"]:
                self.complete(transaction)
            if not transaction or not transaction["done"]:
                body = {"code": "7600", "description": "No result found"}
                return self.reply(200, body, content_type="application/json")
            self.reply(200, transaction["result"], content_type="application/json")

    def complete(self, transaction):
        """Applies a queued deletion (under the lock)."""
        app, customer, device = transaction["item"]
        transid = next(k for k, v in self.state.transactions.items() if v is transaction)
        if transaction["item"] in self.state.profiles:
            self.state.profiles.discard(transaction["item"])
            item = {"code": "1000", "customerId": customer, "description": "SUCCESS"}
            top = {"code": "1000", "description": "SUCCESS", "SuccessCount": 1, "FailureCount": 0}
        else:  # deleted meanwhile by an earlier transaction
            item = {"code": "7014", "customerId": customer, "description": "app profile not found"}
            top = {"code": "1002", "description": "Partial success", "SuccessCount": 0,
                   "FailureCount": 1}
        transaction["done"] = True
        transaction["result"] = {"TotalCount": 1, **top, "Results": [item], "transid": transid}

    def control(self, verb, data):
        state = self.state
        if verb == "profiles":
            state.profiles.add((data["appId"], data["customerId"], data["deviceId"]))
            return self.send(200, {})
        if verb == "envelope":
            state.envelope = data["envelope"]
            return self.send(200, {})
        if verb == "profileKey":
            state.profile_key = data["key"]
            return self.send(200, {})
        return False


def main():
    parser = https_emulator.arguments(__doc__)
    parser.add_argument("--profile-key", required=True, help="the tenant's profile key")
    parser.add_argument("--allow-ip", action="append", default=None,
                        help="client addresses allowed (repeatable); default 127.0.0.1")
    parser.add_argument("--tps", type=int, default=50, help="tenant transactions per second")
    parser.add_argument("--queue-delay-ms", type=int, default=300)
    parser.add_argument("--envelope", choices=["legacy", "v6"], default="legacy")
    args = parser.parse_args()
    args.allow_ip = args.allow_ip or ["127.0.0.1"]
    https_emulator.serve(Handler, args, State(args))


if __name__ == "__main__":
    main()
