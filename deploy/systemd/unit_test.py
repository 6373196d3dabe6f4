"""The systemd unit passes `systemd-analyze verify` (inside a throw-away root
holding systemd's own units and an executable at ExecStart's path, so the
check is the unit's, not this machine's), its offline security review scores
2.0 or better, it keeps the sandboxing the deployment relies on, and
systemd-sysusers creates its user from the sysusers.d file."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

RUNFILES = os.path.join(os.environ.get("TEST_SRCDIR", "."), os.environ.get("TEST_WORKSPACE", ""))
HERE = os.path.join(RUNFILES, "deploy", "systemd")
UNIT = os.path.join(HERE, "linkgateway.service")
SYSUSERS = os.path.join(HERE, "linkgateway.sysusers.conf")
SYSTEM_UNITS = "/lib/systemd/system"


def unit_text():
    with open(UNIT) as f:
        return f.read()


def directives(text):
    found = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


class UnitTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        shutil.copytree(SYSTEM_UNITS, os.path.join(self.root, "usr/lib/systemd/system"),
                        symlinks=True)
        os.makedirs(os.path.join(self.root, "etc/systemd/system"))
        exec_start = directives(unit_text())["ExecStart"][0].split()[0]
        binary = os.path.join(self.root, exec_start.lstrip("/"))
        os.makedirs(os.path.dirname(binary))
        with open(binary, "w") as f:
            f.write("#!/bin/sh\n")
        os.chmod(binary, 0o755)

    def verify(self, name, text):
        with open(os.path.join(self.root, "etc/systemd/system", name), "w") as f:
            f.write(text)
        return subprocess.run(["systemd-analyze", "verify", f"--root={self.root}", name],
                              capture_output=True, text=True, timeout=60)

    def test_systemd_analyze_verify_is_silent(self):
        done = self.verify("linkgateway.service", unit_text())
        self.assertEqual((done.returncode, done.stdout + done.stderr), (0, ""))

    def test_verify_catches_a_broken_unit(self):
        # The same check on the same unit with one key misspelt or one
        # value wrong must complain, or the check above proves nothing.
        for old, new in (("ProtectSystem=strict", "ProtectSystem=strikt"),
                         ("NoNewPrivileges=yes", "NoNewPrivilege=yes")):
            broken = unit_text().replace(old, new)
            self.assertNotEqual(broken, unit_text())
            done = self.verify("broken.service", broken)
            self.assertIn("broken.service", done.stdout + done.stderr, old)

    def test_offline_security_review_scores_two_or_better(self):
        done = self.verify("linkgateway.service", unit_text())
        review = subprocess.run(
            ["systemd-analyze", "security", "--offline=yes", f"--root={self.root}",
             "--threshold=20", "linkgateway.service"],
            capture_output=True, text=True, timeout=60)
        found = re.search(r"Overall exposure level for linkgateway\.service: (\d+\.\d+)",
                          review.stdout)
        self.assertIsNotNone(found, review.stdout + review.stderr + done.stderr)
        self.assertLessEqual(float(found.group(1)), 2.0, review.stdout)
        self.assertEqual(review.returncode, 0, review.stdout + review.stderr)

    def test_the_sandbox_the_deployment_relies_on(self):
        found = directives(unit_text())
        for key, value in (("User", "linkgateway"), ("ProtectSystem", "strict"),
                           ("NoNewPrivileges", "yes"), ("PrivateTmp", "yes"),
                           ("StateDirectory", "linkgateway"),
                           ("LogsDirectory", "linkgateway/audit"),
                           ("CapabilityBoundingSet", ""), ("KillSignal", "SIGTERM")):
            self.assertIn(value, found.get(key, []), key)
        # Stopping waits for the drain (shutdown_grace_period, 10 s) and more.
        stop = int(found["TimeoutStopSec"][0].rstrip("s"))
        self.assertGreater(stop, 10)

    def test_sysusers_creates_the_user(self):
        os.makedirs(os.path.join(self.root, "etc"), exist_ok=True)
        done = subprocess.run(["systemd-sysusers", f"--root={self.root}", SYSUSERS],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        with open(os.path.join(self.root, "etc/passwd")) as f:
            users = {line.split(":")[0]: line.strip().split(":") for line in f}
        self.assertIn("linkgateway", users)
        self.assertEqual(users["linkgateway"][6], "/usr/sbin/nologin")
        self.assertNotEqual(users["linkgateway"][2], "0")


if __name__ == "__main__":
    unittest.main()
