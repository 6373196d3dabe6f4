"""The Node package as a user gets it: `npm pack` of clients/node (its
prepack copies the API's .proto files in), installed into a fresh project;
its `linkgateway-node` command keeps the CLI contract. Dependencies come from
npm's cache (filled by bazel/install-deps.sh's `npm ci`), or the registry."""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import unittest

from cli_contract import RUNFILES, CliContract

WORK = tempfile.mkdtemp(prefix="node.", dir=os.environ.get("TEST_TMPDIR"))
APP = os.path.join(WORK, "app")
# Bazel points HOME at the test's directory; npm's cache is the user's.
NPM = ["npm", "--cache", os.path.join(pwd.getpwuid(os.getuid()).pw_dir, ".npm"),
       "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"]


def npm(*args, cwd):
    done = subprocess.run([*NPM, *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"npm {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


class NodePackageTest(CliContract, unittest.TestCase):
    command = ["node", os.path.join(APP, "node_modules", ".bin", "linkgateway-node")]

    @classmethod
    def setUpClass(cls):
        # A copy of the checkout's parts the package is made of (the runfiles
        # hold them as symlinks, which npm pack would not follow).
        source = os.path.join(WORK, "checkout")
        for path in ("clients/node/index.js", "clients/node/cli.js", "clients/node/package.json",
                     "clients/node/package-lock.json", "clients/node/scripts/copy-protos.js",
                     *(os.path.relpath(p, RUNFILES) for p in
                       glob.glob(os.path.join(RUNFILES, "protos/linkgateway/v1/*.proto")))):
            os.makedirs(os.path.dirname(os.path.join(source, path)), exist_ok=True)
            shutil.copyfile(os.path.join(RUNFILES, path), os.path.join(source, path))
        npm("pack", "--pack-destination", WORK, cwd=os.path.join(source, "clients", "node"))
        tarball = glob.glob(os.path.join(WORK, "linkgateway-client-*.tgz"))[0]
        os.makedirs(APP)
        npm("init", "-y", cwd=APP)
        npm("install", tarball, cwd=APP)
        super().setUpClass()

    def test_the_package_carries_its_protos(self):
        listed = subprocess.run(["tar", "tzf", glob.glob(os.path.join(WORK, "*.tgz"))[0]],
                                capture_output=True, text=True, check=True).stdout
        self.assertIn("package/protos/linkgateway/v1/registrations.proto", listed)
        self.assertIn("package/cli.js", listed)


if __name__ == "__main__":
    unittest.main()
