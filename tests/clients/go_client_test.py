"""The Go client (clients/go) keeps the CLI contract against the launcher."""

import os
import unittest

from cli_contract import RUNFILES, CliContract


class GoClientTest(CliContract, unittest.TestCase):
    command = [os.path.join(RUNFILES, "clients", "go", "linkgateway-go")]

    def timeout_flag(self, seconds):
        return f"{seconds}s"  # a Go duration


if __name__ == "__main__":
    unittest.main()
