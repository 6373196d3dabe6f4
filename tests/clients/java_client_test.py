"""The Java client (clients/java) keeps the CLI contract against the launcher."""

import os
import unittest

from cli_contract import RUNFILES, CliContract


class JavaClientTest(CliContract, unittest.TestCase):
    command = ["java", "-jar", os.path.join(RUNFILES, "clients", "java", "linkgateway-java.jar")]


if __name__ == "__main__":
    unittest.main()
