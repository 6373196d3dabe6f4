"""`bazel run //:gateway`'s launcher (tests/emulators/run_gateway.py) as a
test fixture: emulators and gateway on free loopback ports, its output kept
(the access log goes there too) and parsed for what tests need."""

import json
import os
import re
import ssl
import subprocess
import threading
import urllib.request

LAUNCHER = os.path.join(os.environ.get("TEST_SRCDIR", "."), os.environ.get("TEST_WORKSPACE", ""),
                        "tests", "emulators", "run_gateway.py")


class Launcher:
    def __init__(self, *args):
        self.process = subprocess.Popen(
            ["/usr/bin/python3", "-u", LAUNCHER, "--listen=127.0.0.1:0", "--metrics=127.0.0.1:0",
             *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.output = []
        self.target = self.device_token = self.metrics_url = self.demo_dir = None
        self.emulators = {}  # "Amazon", "SMS and Voice v2", "IMIconnect" -> https URL
        for line in self.process.stdout:
            self.output.append(line)
            found = re.search(r"configuration: (\S+)/gateway\.textproto", line)
            if found:  # also holds the --secure demo's CA, client certificate and token
                self.demo_dir = found.group(1)
            found = re.search(r"^  (.+) emulator: (https://127\.0\.0\.1:\d+)", line)
            if found:
                self.emulators[found.group(1).split(" (")[0]] = found.group(2)
            found = re.search(r"device token: (\S+)", line)
            if found:
                self.device_token = found.group(1)
            found = re.search(r"linkgateway: metrics on (http://127\.0\.0\.1:\d+/metrics)", line)
            if found:
                self.metrics_url = found.group(1)
            found = re.search(r"linkgateway: listening on (127\.0\.0\.1:\d+)", line)
            if found:
                self.target = found.group(1)
                break
        if self.target is None:
            raise AssertionError("the launcher never served:\n" + "".join(self.output))
        threading.Thread(target=self._keep_reading, daemon=True).start()

    def control(self, emulator, path, body):
        """POSTs `body` to an emulator's /__emulator/<path> (e.g. seed data)."""
        request = urllib.request.Request(
            f"{self.emulators[emulator]}/__emulator/{path}", data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"})
        context = ssl.create_default_context(cafile=os.path.join(self.demo_dir, "ca.pem"))
        with urllib.request.urlopen(request, context=context, timeout=20) as answer:
            return json.load(answer)

    def _keep_reading(self):
        try:
            for line in self.process.stdout:
                self.output.append(line)
        except (OSError, ValueError):  # closed by stop()
            pass

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.process.stdout.close()
