"""The Python package as a user installs it: a virtualenv over Debian's
python3-grpcio and python3-protobuf (--system-site-packages), then
`pip install ./clients/python`, offline (no index is reachable here); its
`linkgateway-python` command keeps the CLI contract."""

import os
import subprocess
import tempfile
import unittest

from cli_contract import RUNFILES, CliContract

VENV = tempfile.mkdtemp(prefix="venv.", dir=os.environ.get("TEST_TMPDIR"))


class PythonPackageTest(CliContract, unittest.TestCase):
    command = [os.path.join(VENV, "bin", "linkgateway-python")]

    @classmethod
    def setUpClass(cls):
        subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", VENV],
                       check=True, timeout=120)
        # The source tree as a checkout has it (the runfiles mirror it).
        installed = subprocess.run(
            [os.path.join(VENV, "bin", "pip"), "install", "--no-cache-dir",
             os.path.join(RUNFILES, "clients", "python")],
            capture_output=True, text=True, timeout=300)
        assert installed.returncode == 0, installed.stdout + installed.stderr
        super().setUpClass()

    def test_the_package_holds_the_generated_modules(self):
        listed = subprocess.run([os.path.join(VENV, "bin", "pip"), "show", "--files",
                                 "linkgateway-client"], capture_output=True, text=True, check=True)
        for module in ("linkgateway/v1/registrations_pb2.py", "linkgateway/v1/registrations_pb2_grpc.py",
                       "google/rpc/error_details_pb2.py", "linkgateway_client/cli.py"):
            self.assertIn(module, listed.stdout)

    def test_unlink_jobs_and_their_operations_import(self):
        # google.longrunning comes with the package (Debian has no Python copy).
        imported = subprocess.run(
            [os.path.join(VENV, "bin", "python"), "-c",
             "from linkgateway.v1 import unlink_pb2, unlink_pb2_grpc\n"
             "from google.longrunning import operations_pb2_grpc\n"
             "print(unlink_pb2.StartUnlinkRequest.DESCRIPTOR.full_name)"],
            capture_output=True, text=True, timeout=60, cwd="/")
        self.assertEqual(imported.returncode, 0, imported.stderr)
        self.assertIn("linkgateway.v1.StartUnlinkRequest", imported.stdout)


if __name__ == "__main__":
    unittest.main()
