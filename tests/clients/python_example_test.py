"""The Python example (clients/python/example.py) against the launcher of
`bazel run //:gateway`: a success printed as JSON, then the error's details."""

import contextlib
import io
import json
import os
import re
import subprocess
import threading
import unittest

from clients.python import example

LAUNCHER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "emulators", "run_gateway.py")


def drain(stream):
    try:
        for _ in stream:
            pass
    except (OSError, ValueError):  # closed by tearDown
        pass


class PythonExampleTest(unittest.TestCase):
    LAUNCHER_ARGS = ()

    def setUp(self):
        self.process = subprocess.Popen(
            ["/usr/bin/python3", "-u", LAUNCHER, "--listen=127.0.0.1:0", "--metrics=127.0.0.1:0",
             *self.LAUNCHER_ARGS],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.target = None
        output = []
        for line in self.process.stdout:
            output.append(line)
            found = re.search(r"linkgateway: listening on (127\.0\.0\.1:\d+)", line)
            if found:
                self.target = found.group(1)
                break
        self.assertIsNotNone(self.target, "".join(output))
        # Keep reading: the gateway's access log goes to the same pipe.
        threading.Thread(target=drain, args=(self.process.stdout,), daemon=True).start()
        self.demo = re.search(r"(/tmp/linkgateway-demo[^/]*)", "".join(output)).group(1)

    def tearDown(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.process.stdout.close()

    def run_example(self, *args):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = example.main(["--target", self.target, *args])
        return code, out.getvalue()

    def test_success_then_not_found_with_details(self):
        code, out = self.run_example("delete-subscription", "ANY_OFFER_CHANGED",
                                     "demo-subscription-1")
        self.assertEqual(code, 0, out)
        self.assertEqual(json.loads(out)["sellingPartner"]["rateLimit"], "1.0")
        code, out = self.run_example("delete-subscription", "ANY_OFFER_CHANGED",
                                     "demo-subscription-1")
        self.assertEqual(code, 1)
        error = json.loads(out)["error"]
        self.assertEqual(error["code"], "NOT_FOUND")
        self.assertEqual(error["reason"], "UPSTREAM_NOT_FOUND")
        self.assertTrue(error["upstreamRequestId"])

    def test_field_violation(self):
        code, out = self.run_example("delete-registration", "bad id")
        self.assertEqual(code, 1)
        error = json.loads(out)["error"]
        self.assertEqual(error["fieldViolations"][0]["field"], "sms_voice.registration_id")


class SecurePythonExampleTest(PythonExampleTest):
    """The same example against `bazel run //:gateway -- --secure`."""
    LAUNCHER_ARGS = ("--secure",)

    def run_example(self, *args):
        return super().run_example(*self.credentials, *args)

    def test_success_then_not_found_with_details(self):
        # mTLS with the demo client certificate.
        self.credentials = ("--ca-file", f"{self.demo}/ca.pem",
                            "--cert-file", f"{self.demo}/demo-client.pem",
                            "--key-file", f"{self.demo}/demo-client.key")
        super().test_success_then_not_found_with_details()

    def test_field_violation(self):
        # The demo bearer token.
        self.credentials = ("--ca-file", f"{self.demo}/ca.pem",
                            "--token-file", f"{self.demo}/demo.token")
        super().test_field_violation()

    def test_no_credential_is_unauthenticated(self):
        self.credentials = ("--ca-file", f"{self.demo}/ca.pem")
        code, out = self.run_example("delete-registration", "registration-demo-1")
        self.assertEqual(code, 1)
        self.assertEqual(json.loads(out)["error"]["code"], "UNAUTHENTICATED")


if __name__ == "__main__":
    unittest.main()
