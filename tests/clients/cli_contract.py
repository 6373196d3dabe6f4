"""The contract every language's command-line client keeps, checked against
`bazel run //:gateway`'s launcher (emulators + gateway on free ports):
every RPC callable with proto3 JSON in and out, a deadline per call, an
error's google.rpc.Status details decoded (ErrorInfo, RetryInfo,
BadRequest) and its gRPC code as the exit status.

A test module defines `class XTest(CliContract, unittest.TestCase)` and sets
`command` (the argv before the client's own flags)."""

import json
import os
import subprocess

from launcher import Launcher

RUNFILES = os.path.join(os.environ.get("TEST_SRCDIR", "."), os.environ.get("TEST_WORKSPACE", ""))


class CliContract:
    """A mixin: the contract's cases, for unittest.TestCase subclasses."""

    command = None  # set by subclasses
    env = None  # extra environment for the client

    @classmethod
    def setUpClass(cls):
        cls.launcher = Launcher()
        cls.target, cls.device_token = cls.launcher.target, cls.launcher.device_token

    @classmethod
    def tearDownClass(cls):
        cls.launcher.stop()

    def run_cli(self, verb, request, *flags, target=None):
        """Runs the client; returns (exit status, parsed JSON output)."""
        env = dict(os.environ, **(self.env or {}))
        done = subprocess.run(
            [*self.command, "--target", target or self.target, "--timeout", self.timeout_flag(20),
             *flags, verb, json.dumps(request)],
            capture_output=True, text=True, timeout=120, env=env)
        try:
            parsed = json.loads(done.stdout)
        except ValueError:
            raise AssertionError(f"not JSON (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done.returncode, parsed

    def timeout_flag(self, seconds):
        return str(seconds)

    def test_a_delete_then_its_repeat_is_not_found_with_details(self):
        request = {"sellingPartner": {"notificationType": "ANY_OFFER_CHANGED",
                                      "subscriptionId": "demo-subscription-1"}}
        code, answer = self.run_cli("delete-subscription", request)
        self.assertEqual(code, 0, answer)
        self.assertEqual(answer["sellingPartner"]["rateLimit"], "1.0")
        code, answer = self.run_cli("delete-subscription", request)
        self.assertEqual(code, 5, answer)  # NOT_FOUND
        error = answer["error"]
        self.assertEqual(error["code"], "NOT_FOUND")
        self.assertEqual(error["reason"], "UPSTREAM_NOT_FOUND")
        self.assertEqual(error["domain"], "sellingpartnerapi.amazon.com")
        self.assertTrue(error["upstreamRequestId"])

    def test_an_invalid_request_names_the_field(self):
        code, answer = self.run_cli("delete-registration", {"smsVoice": {"registrationId": "bad id!"}})
        self.assertEqual(code, 3, answer)  # INVALID_ARGUMENT
        self.assertEqual(answer["error"]["fieldViolations"][0]["field"], "sms_voice.registration_id")

    def test_throttling_carries_retry_advice(self):
        # The emulator answers 429 for this id: retried, then given up.
        code, answer = self.run_cli("delete-subscription", {"sellingPartner": {
            "notificationType": "ANY_OFFER_CHANGED", "subscriptionId": "sub-429"}})
        self.assertEqual(code, 8, answer)  # RESOURCE_EXHAUSTED
        self.assertEqual(answer["error"]["reason"], "UPSTREAM_THROTTLED")
        self.assertGreater(answer["error"]["retryDelaySeconds"], 0)

    def test_every_other_rpc(self):
        code, answer = self.run_cli("get-subscription-info",
                                    {"dashReplenishment": {"accessToken": self.device_token}})
        self.assertEqual(code, 0, answer)
        self.assertTrue(answer["dashReplenishment"]["slots"]["slot1"]["subscribed"])
        code, answer = self.run_cli("delete-registration",
                                    {"smsVoice": {"registrationId": "registration-demo-1"}})
        self.assertEqual(code, 0, answer)
        self.assertEqual(answer["smsVoice"]["registrationStatus"],
                         "SMS_VOICE_REGISTRATION_STATUS_DELETED")
        code, answer = self.run_cli("delete-app-profile", {"imiconnect": {
            "appId": "a_635736738702976937", "customerId": "9876", "deviceId": "4451830998765"}})
        self.assertEqual(code, 0, answer)
        transaction = answer["imiconnect"]["transactionId"]
        code, answer = self.run_cli("get-profile-transaction",
                                    {"imiconnect": {"transactionId": transaction}})
        self.assertEqual(code, 0, answer)
        self.assertEqual(answer["imiconnect"]["transactionId"], transaction)

    def test_a_request_id_makes_a_repeat_safe(self):
        self.launcher.control("SMS and Voice v2", "registrations", {"RegistrationId": "reg-repeat"})
        request = {"requestId": "5f0c1e2a-3b4d-4e5f-8a6b-7c8d9e0f1a2b",
                   "smsVoice": {"registrationId": "reg-repeat"}}
        code, first = self.run_cli("delete-registration", request)
        self.assertEqual(code, 0, first)
        code, repeat = self.run_cli("delete-registration", request)
        self.assertEqual(code, 0, repeat)  # not NOT_FOUND: the record answers
        self.assertTrue(repeat["replayed"])
        self.assertEqual(repeat["smsVoice"]["upstreamRequestId"],
                         first["smsVoice"]["upstreamRequestId"])
        # Without one, the client makes one up: the audit trail shows it.
        self.run_cli("delete-registration", {"smsVoice": {"registrationId": "no-such-one"}})
        with open(f"{self.launcher.demo_dir}/audit.jsonl") as audit:
            last = json.loads(audit.readlines()[-1])
        self.assertRegex(last.get("idempotency_id", ""), r"^[0-9a-f-]{36}$")

    def test_tls_mtls_and_a_bearer_token(self):
        """Against `bazel run //:gateway -- --secure`: TLS with the demo CA;
        its client certificate (mTLS) or its token authenticate."""
        secure = Launcher("--secure")
        try:
            demo, target = secure.demo_dir, secure.target
            ca = ("--ca-file", f"{demo}/ca.pem")
            code, answer = self.run_cli("delete-registration",
                                        {"smsVoice": {"registrationId": "registration-demo-1"}},
                                        *ca, target=target)
            self.assertEqual(code, 16, answer)  # UNAUTHENTICATED: TLS alone proves nobody
            self.assertEqual(answer["error"]["code"], "UNAUTHENTICATED")
            code, answer = self.run_cli("delete-registration", {"smsVoice": {"registrationId": "x y"}},
                                        *ca, "--token-file", f"{demo}/demo.token", target=target)
            self.assertEqual(code, 3, answer)  # authenticated, then validated
            code, answer = self.run_cli("delete-registration",
                                        {"smsVoice": {"registrationId": "registration-demo-1"}},
                                        *ca, "--cert-file", f"{demo}/demo-client.pem",
                                        "--key-file", f"{demo}/demo-client.key", target=target)
            self.assertEqual(code, 0, answer)
        finally:
            secure.stop()
