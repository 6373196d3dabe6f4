"""The Python CLI (clients/python, Bazel-built over Bazel's generated modules)
keeps the CLI contract against the launcher."""

import os
import unittest

from cli_contract import RUNFILES, CliContract


class PythonClientTest(CliContract, unittest.TestCase):
    command = [os.path.join(RUNFILES, "clients", "python", "linkgateway_python")]


if __name__ == "__main__":
    unittest.main()
