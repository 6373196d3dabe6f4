"""The CLI contract (docs/clients/index.md) as one scripted session, run by
cli_contract_test against every language's CLI and compared across them.

Each language gets its own `bazel run //:gateway` launcher (emulators and
gateway on free ports: the session deletes things). A step runs the CLI,
checks its exit status and what the answer must say, and records the answer
normalised (ids, times, ports, retry delays) for the comparison: every
language must print the same JSON for the same step."""

import json
import os
import re
import subprocess

from launcher import Launcher

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
PORT = re.compile(r"127\.0\.0\.1:\d+")
# Values that differ from run to run whatever the client.
VOLATILE_KEYS = {"retryDelaySeconds", "upstreamRequestId", "imiconnectTransactionId",
                 "transactionId", "attempts"}


def normalize(value, key=None):
    if key in VOLATILE_KEYS:
        return "<volatile>"
    if isinstance(value, dict):
        return {k: normalize(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if isinstance(value, str):
        if value[:1] in "[{":  # JSON in a string (ErrorInfo's upstreamErrors): its value
            try:
                return normalize(json.loads(value))
            except ValueError:
                pass
        if TIME.match(value):
            return "<time>"
        return PORT.sub("127.0.0.1:<port>", UUID.sub("<uuid>", value))
    return value


class Session:
    """One language's run of the script: `run` one step after another."""

    def __init__(self, command, launcher, secure):
        self.command, self.launcher, self.secure = command, launcher, secure
        self.transcript = []  # (step, exit status, normalised answer lines)

    def cli(self, *args, target=None, stdin=None):
        """Runs the CLI; returns (exit status, stdout lines, stderr)."""
        done = subprocess.run([*self.command, "--target", target or self.launcher.target, *args],
                              capture_output=True, text=True, timeout=120, input=stdin)
        return done.returncode, done.stdout.splitlines(), done.stderr

    def run(self, step, args, code, target=None, stdin=None, compare=lambda lines: lines):
        """One step: the exit status must be `code`; every output line is one
        JSON value. Returns the parsed lines. `compare` picks what the
        languages must agree on (all of it unless said)."""
        status, lines, stderr = self.cli(*args, target=target, stdin=stdin)
        try:
            parsed = [json.loads(line) for line in lines]
        except ValueError:
            raise AssertionError(f"{step}: not one JSON value a line (exit {status}):\n"
                                 + "\n".join(lines) + "\n" + stderr)
        if status != code:
            raise AssertionError(f"{step}: exit {status}, expected {code}:\n"
                                 + "\n".join(lines) + "\n" + stderr)
        if code == 64 and lines:
            raise AssertionError(f"{step}: a usage error printed on standard output: {lines}")
        self.transcript.append((step, status, normalize(compare(parsed))))
        return parsed


def script(s):
    """The session every CLI runs. `s` is a Session; assertions name the
    step that broke."""
    launcher = s.launcher
    request = json.dumps

    # Health, and the two spellings of a duration.
    [answer] = s.run("health-check", ["--timeout", "5", "health-check"], 0)
    assert answer == {"status": "SERVING"}, answer
    s.run("health-check --timeout 5s", ["--timeout", "5s", "health-check", "{}"], 0)
    s.run("health-check --timeout=1500ms", ["--timeout=1500ms", "health-check"], 0)

    # Usage errors: 64, nothing on standard output.
    s.run("unknown flag", ["--bogus", "1", "health-check"], 64)
    s.run("unknown verb", ["no-such-verb", "{}"], 64)
    s.run("no verb", ["--timeout", "5"], 64)
    s.run("bad duration", ["--timeout", "5x", "health-check"], 64)
    s.run("zero duration", ["--timeout", "0", "health-check"], 64)
    s.run("flag without value", ["health-check", "--timeout"], 64)
    s.run("certificate without key", ["--cert-file", "c.pem", "health-check"], 64)
    s.run("missing CA file", ["--ca-file", "/nonexistent/ca.pem", "health-check"], 64)
    s.run("missing token file", ["--token-file", "/nonexistent/token", "health-check"], 64)
    s.run("not JSON", ["delete-subscription", "{not json"], 64)
    s.run("unknown field", ["delete-registration", request({"smsVoice": {"nope": 1}})], 64)

    # The single RPCs, and an error's details.
    subscription = {"sellingPartner": {"notificationType": "ANY_OFFER_CHANGED",
                                       "subscriptionId": "demo-subscription-1"}}
    [answer] = s.run("delete-subscription", ["delete-subscription", request(subscription)], 0)
    assert answer["sellingPartner"]["rateLimit"] == "1.0", answer
    [answer] = s.run("delete-subscription again", ["delete-subscription", "-"], 5,
                     stdin=request(subscription))
    error = answer["error"]
    assert (error["code"], error["reason"], error["domain"]) == (
        "NOT_FOUND", "UPSTREAM_NOT_FOUND", "sellingpartnerapi.amazon.com"), error
    assert error["upstreamRequestId"] == error["metadata"]["upstreamRequestId"], error
    assert list(error["metadata"]) == sorted(error["metadata"]), error

    [answer] = s.run("invalid request", ["delete-registration",
                                         request({"smsVoice": {"registrationId": "bad id!"}})], 3)
    assert answer["error"]["fieldViolations"][0]["field"] == "sms_voice.registration_id", answer

    [answer] = s.run("throttled", ["delete-subscription", request({"sellingPartner": {
        "notificationType": "ANY_OFFER_CHANGED", "subscriptionId": "sub-429"}})], 8)
    assert answer["error"]["reason"] == "UPSTREAM_THROTTLED", answer
    assert answer["error"]["retryDelaySeconds"] > 0, answer

    [answer] = s.run("get-subscription-info", ["get-subscription-info", request(
        {"dashReplenishment": {"accessToken": launcher.device_token}})], 0)
    assert answer["dashReplenishment"]["slots"]["slot1"]["subscribed"] is True, answer

    [answer] = s.run("delete-registration", ["delete-registration", request(
        {"smsVoice": {"registrationId": "registration-demo-1"}})], 0)
    assert answer["smsVoice"]["registrationStatus"] == "SMS_VOICE_REGISTRATION_STATUS_DELETED"

    [answer] = s.run("delete-app-profile", ["delete-app-profile", request({"imiconnect": {
        "appId": "a_635736738702976937", "customerId": "9876", "deviceId": "4451830998765"}})], 0)
    transaction = answer["imiconnect"]["transactionId"]
    [answer] = s.run("get-profile-transaction", ["get-profile-transaction", request(
        {"imiconnect": {"transactionId": transaction}})], 0)
    assert answer["imiconnect"]["transactionId"] == transaction, answer

    # A request_id makes a repeat safe; without one the CLI makes one up.
    launcher.control("SMS and Voice v2", "registrations", {"RegistrationId": "reg-repeat"})
    repeat = {"requestId": "5f0c1e2a-3b4d-4e5f-8a6b-7c8d9e0f1a2b",
              "smsVoice": {"registrationId": "reg-repeat"}}
    [first] = s.run("delete with request_id", ["delete-registration", request(repeat)], 0)
    [again] = s.run("delete with request_id again", ["delete-registration", request(repeat)], 0)
    assert again["replayed"] is True, again
    assert again["smsVoice"]["upstreamRequestId"] == first["smsVoice"]["upstreamRequestId"]
    s.run("delete without request_id", ["delete-registration", request(
        {"smsVoice": {"registrationId": "no-such-one"}})], 5)
    with open(f"{launcher.demo_dir}/audit.jsonl") as audit:
        last = json.loads(audit.readlines()[-1])
    assert UUID.fullmatch(last.get("idempotency_id", "")), last

    # An unlink job: start, watch to the end, the Operations service.
    launcher.control("SMS and Voice v2", "registrations", {"RegistrationId": "reg-unlink"})
    launcher.control("Amazon", "subscriptions", {"notificationType": "ANY_OFFER_CHANGED",
                                                 "subscriptionId": "sub-unlink"})
    targets = {"targets": [
        {"smsVoiceRegistration": {"registrationId": "reg-unlink"}},
        {"sellingPartnerSubscription": {"notificationType": "ANY_OFFER_CHANGED",
                                        "subscriptionId": "sub-unlink"}}]}
    # How far the job got when the answer left is a race: compare its shape.
    [operation] = s.run("start-unlink", ["start-unlink", request(targets)], 0,
                        compare=lambda lines: [{"name": lines[0]["name"],
                                                "@type": lines[0]["metadata"]["@type"]}])
    name = operation["name"]
    assert name.startswith("operations/unlink/"), operation
    assert operation["metadata"]["@type"] == "type.googleapis.com/linkgateway.v1.UnlinkMetadata"
    # The watch prints a line per change; how many changes it sees is a race:
    # compare the last.
    updates = s.run("watch-unlink", ["--timeout", "60s", "watch-unlink",
                                     request({"name": name})], 0, compare=lambda lines: lines[-1:])
    assert updates and all(u["name"] == name for u in updates), updates
    assert [step["state"] for step in updates[-1]["steps"]] == ["UNLINK_STEP_STATE_SUCCEEDED"] * 2
    [done] = s.run("get-operation", ["get-operation", request({"name": name})], 0)
    assert done["done"] is True, done
    assert done["response"]["@type"] == "type.googleapis.com/linkgateway.v1.UnlinkResult", done
    [waited] = s.run("wait-operation", ["wait-operation",
                                        request({"name": name, "timeout": "5s"})], 0)
    assert waited == done, (waited, done)
    [listed] = s.run("list-operations", ["list-operations", request({"filter": "done = true"})], 0)
    assert [o["name"] for o in listed["operations"]] == [name], listed
    s.run("cancel-operation", ["cancel-operation", request({"name": name})], 0)
    [answer] = s.run("delete-operation", ["delete-operation", request({"name": name})], 12)
    assert answer["error"]["code"] == "UNIMPLEMENTED", answer
    [answer] = s.run("get-operation unknown", ["get-operation", request(
        {"name": "operations/unlink/00000000-0000-4000-8000-000000000000"})], 5)
    [answer] = s.run("start-unlink invalid", ["start-unlink", request({"targets": [
        {"smsVoiceRegistration": {"registrationId": "bad id!"}}]})], 3)
    assert answer["error"]["fieldViolations"], answer

    # TLS (implied by a CA), mTLS, a bearer token: `bazel run //:gateway -- --secure`.
    demo, target = s.secure.demo_dir, s.secure.target
    ca = ["--ca-file", f"{demo}/ca.pem"]
    [answer] = s.run("TLS health-check", [*ca, "health-check"], 0, target=target)
    assert answer == {"status": "SERVING"}, answer
    [answer] = s.run("TLS without credentials", [*ca, "get-profile-transaction", request(
        {"imiconnect": {"transactionId": "t-1"}})], 16, target=target)
    assert answer["error"]["code"] == "UNAUTHENTICATED", answer
    with open(f"{demo}/demo.token") as f:
        token = f.read().strip()
    [answer] = s.run("TLS with a token", [*ca, "--token-file", f"{demo}/demo.token",
                                          "get-profile-transaction", request(
                                              {"imiconnect": {"transactionId": "t-1"}})],
                     0, target=target)
    assert token not in json.dumps(answer)
    s.run("mTLS", [*ca, "--cert-file", f"{demo}/demo-client.pem", "--key-file",
                   f"{demo}/demo-client.key", "get-profile-transaction",
                   request({"imiconnect": {"transactionId": "t-1"}})], 0, target=target)
    s.run("plaintext to TLS", ["--timeout", "5", "health-check"], 14, target=target,
          compare=lambda lines: [lines[0]["error"]["code"]])


def run_session(command, secure):
    """Runs the script against a fresh launcher; returns the transcript."""
    launcher = Launcher()
    try:
        session = Session(command, launcher, secure)
        script(session)
        return session.transcript
    finally:
        launcher.stop()
