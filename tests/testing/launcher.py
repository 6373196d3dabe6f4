"""`bazel run //:gateway`'s launcher (tests/emulators/run_gateway.py) as a
test fixture: emulators and gateway on free loopback ports, its output kept
(the access log goes there too) and parsed for what tests need."""

import os
import re
import subprocess
import threading

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
        for line in self.process.stdout:
            self.output.append(line)
            found = re.search(r"configuration: (\S+)/gateway\.textproto", line)
            if found:  # also holds the --secure demo's CA, client certificate and token
                self.demo_dir = found.group(1)
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
