"""One CLI contract, five languages: the same scripted session
(cli_contract.py) against the C++, Go, Java, Python and Node CLIs, each
against its own launcher, then their answers compared step by step.

The Python CLI is the package as a user installs it (a virtualenv over
Debian's grpcio and protobuf, `pip install ./clients/python`, offline); the
Node CLI runs from the checkout over the node_modules that
bazel/install-deps.sh installs (`npm ci`)."""

import os
import subprocess
import tempfile
import unittest

from cli_contract import run_session
from launcher import Launcher

RUNFILES = os.path.join(os.environ.get("TEST_SRCDIR", "."), os.environ.get("TEST_WORKSPACE", ""))
VENV = tempfile.mkdtemp(prefix="venv.", dir=os.environ.get("TEST_TMPDIR"))


def runfile(path):
    return os.path.join(RUNFILES, path)


COMMANDS = {
    "cpp": [runfile("clients/cpp/linkgateway_cli")],
    "go": [runfile("clients/go/linkgateway-go")],
    "java": ["java", "-jar", runfile("clients/java/linkgateway-java.jar")],
    "python": [os.path.join(VENV, "bin", "linkgateway-python")],
    # The checkout's cli.js (its real path, so that node finds node_modules).
    "node": ["node", os.path.realpath(runfile("clients/node/cli.js"))],
}
# CLI_CONTRACT_LANGUAGES="cpp" runs only those sessions, without the
# comparison (cli_contract_cpp_test: the C++ CLI under the sanitizers too).
LANGUAGES = os.environ.get("CLI_CONTRACT_LANGUAGES", " ".join(COMMANDS)).split()
transcripts = {}


class CliContractTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.secure = Launcher("--secure")
        if "python" not in LANGUAGES:
            return
        subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", VENV],
                       check=True, timeout=120)
        installed = subprocess.run(
            [os.path.join(VENV, "bin", "pip"), "install", "--no-cache-dir", "--no-index",
             runfile("clients/python")], capture_output=True, text=True, timeout=300)
        assert installed.returncode == 0, installed.stdout + installed.stderr

    @classmethod
    def tearDownClass(cls):
        cls.secure.stop()

    def session(self, language):
        if language not in LANGUAGES:
            self.skipTest(f"CLI_CONTRACT_LANGUAGES={' '.join(LANGUAGES)}")
        transcripts[language] = run_session(COMMANDS[language], self.secure)

    def test_cpp(self):
        self.session("cpp")

    def test_go(self):
        self.session("go")

    def test_java(self):
        self.session("java")

    def test_node(self):
        self.session("node")

    def test_python(self):
        self.session("python")

    def test_zz_every_language_answers_alike(self):
        """Runs last (unittest sorts by name): each step's exit status and
        normalised answer are the same in every language."""
        if sorted(LANGUAGES) != sorted(COMMANDS):
            self.skipTest("not every language ran")
        self.assertEqual(sorted(transcripts), sorted(COMMANDS), "a session did not finish")
        reference = transcripts["python"]
        for language, transcript in transcripts.items():
            self.assertEqual([step for step, _, _ in transcript],
                             [step for step, _, _ in reference], language)
            for mine, theirs in zip(transcript, reference):
                self.assertEqual(mine, theirs, f"{language} differs from python at {mine[0]}")


if __name__ == "__main__":
    unittest.main()
