"""Each language's package as a service would consume it: built from a copy
of the checkout as docs/clients/<lang>.md says, installed into a fresh
project of its ecosystem (tests/clients/samples/<lang>), and used as a
library by a program that starts an unlink job and watches it to the end,
against `bazel run //:gateway`'s launcher. Prints how long each took.

Offline as everywhere here: Debian's packages, and npm's cache (filled by
bazel/install-deps.sh). The user's Go build cache, Maven repository and npm
cache are used when writable (Bazel points HOME elsewhere), as a developer's
would be."""

import glob
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from launcher import Launcher

RUNFILES = os.path.join(os.environ.get("TEST_SRCDIR", "."), os.environ.get("TEST_WORKSPACE", ""))
WORK = tempfile.mkdtemp(prefix="packages.", dir=os.environ.get("TEST_TMPDIR"))
CHECKOUT = os.path.join(WORK, "checkout")
HOME = pwd.getpwuid(os.getuid()).pw_dir
ANSI = re.compile(r"\x1b\[[0-9;]*m")
FINAL = "UNLINK_STEP_STATE_SUCCEEDED UNLINK_STEP_STATE_SUCCEEDED"


def cache(path):
    """The user's cache folder when writable, else one in the test's tmp."""
    try:
        os.makedirs(path, exist_ok=True)
        if os.access(path, os.W_OK):
            return path
    except OSError:
        pass
    return tempfile.mkdtemp(dir=WORK)


ENV = dict(os.environ, GOCACHE=cache(os.path.join(HOME, ".cache", "go-build")),
           GOPROXY="off", GOFLAGS="-mod=vendor", GOPATH=os.path.join(WORK, "gopath"))
MAVEN_REPO = cache(os.path.join(HOME, ".m2", "repository"))
NPM = ["npm", "--cache", cache(os.path.join(HOME, ".npm")), "--prefer-offline", "--no-audit",
       "--no-fund", "--loglevel=error"]


def copy_checkout():
    """The files the packages are built from, at their paths in a checkout
    (the runfiles hold symlinks, which some tools would not follow)."""
    for pattern in ("clients/**", "protos/**", "tests/clients/samples/**"):
        for source in glob.glob(os.path.join(RUNFILES, pattern), recursive=True):
            if os.path.isfile(source):
                target = os.path.join(CHECKOUT, os.path.relpath(source, RUNFILES))
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copyfile(source, target)
    # clients/node's dependencies, as `npm ci` (bazel/install-deps.sh) left them.
    source = os.path.dirname(os.path.realpath(os.path.join(RUNFILES, "clients/node/index.js")))
    os.symlink(os.path.join(source, "node_modules"),
               os.path.join(CHECKOUT, "clients", "node", "node_modules"))


def run(*args, cwd, timeout=600):
    done = subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(args)} (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
    return ANSI.sub("", done.stdout)


def sample(name):
    """A fresh copy of tests/clients/samples/<name>, as a new project."""
    target = os.path.join(WORK, f"{name}-sample")
    shutil.copytree(os.path.join(CHECKOUT, "tests", "clients", "samples", name), target)
    return target


class PackagesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        copy_checkout()
        cls.launcher = Launcher()

    @classmethod
    def tearDownClass(cls):
        cls.launcher.stop()

    def unlink_ids(self, language):
        """A registration and a subscription for this language's job."""
        self.launcher.control("SMS and Voice v2", "registrations",
                              {"RegistrationId": f"reg-{language}"})
        self.launcher.control("Amazon", "subscriptions", {
            "notificationType": "ANY_OFFER_CHANGED", "subscriptionId": f"sub-{language}"})
        return [self.launcher.target, f"reg-{language}", f"sub-{language}"]

    def assert_watched_to_the_end(self, output):
        lines = [line for line in output.splitlines() if line.startswith("operations/") or
                 line == "done"]
        self.assertGreaterEqual(len(lines), 2, output)
        self.assertEqual(lines[-1], "done", output)
        self.assertRegex(lines[-2], r"^operations/unlink/[0-9a-f-]{36} " + FINAL + "$")

    def timed(self, language, steps):
        start = time.monotonic()
        output = steps()
        print(f"{language}: built, installed and ran in {time.monotonic() - start:.1f} s",
              flush=True)
        self.assert_watched_to_the_end(output)

    def test_python(self):
        venv = os.path.join(WORK, "venv")

        def steps():
            run("/usr/bin/python3", "-m", "venv", "--system-site-packages", venv, cwd=WORK)
            run(f"{venv}/bin/pip", "install", "--no-cache-dir", "--no-index",
                os.path.join(CHECKOUT, "clients", "python"), cwd=WORK)
            return run(f"{venv}/bin/python", "unlink_sample.py", *self.unlink_ids("python"),
                       cwd=sample("python"))
        self.timed("python", steps)
        files = run(f"{venv}/bin/pip", "show", "--files", "linkgateway-client", cwd=WORK)
        listed = [line.strip() for line in files.splitlines()]
        # No top-level google (or grpc) package of its own; types for checkers.
        self.assertFalse([f for f in listed if f.startswith(("google/", "grpc/"))], files)
        for path in ("linkgateway_client/py.typed", "linkgateway/py.typed",
                     "linkgateway/v1/unlink_pb2.pyi",
                     "linkgateway_client/_protos/google/longrunning/operations_pb2_grpc.py"):
            self.assertIn(path, listed)
        requires = run(f"{venv}/bin/pip", "show", "linkgateway-client", cwd=WORK)
        self.assertIn("Requires: grpcio, protobuf", requires)
        self.beside_googleapis_common_protos(venv)

    def beside_googleapis_common_protos(self, venv):
        """A service that also has googleapis-common-protos (e.g. for
        grpcio-status) imports both, in either order: the package then uses
        the official google.rpc modules, never a second copy of their .proto
        files (protobuf would refuse it). Debian has no such package: a copy
        generated from a differently optioned status.proto stands in."""
        source, official = os.path.join(WORK, "official-src"), os.path.join(WORK, "official")
        os.makedirs(official)
        run("python3", os.path.join(CHECKOUT, "protos", "tools", "google_rpc_protos.py"), source,
            cwd=WORK)
        status = os.path.join(source, "google", "rpc", "status.proto")
        with open(status, encoding="utf-8") as f:
            text = f.read()
        with open(status, "w", encoding="utf-8") as f:
            f.write(text.replace("option java_multiple_files = true;",
                                 "option java_multiple_files = true;\noption php_namespace = \"Rpc\";"))
        run("protoc", "-I", source, f"--python_out={official}", "google/rpc/status.proto",
            "google/rpc/error_details.proto", "google/rpc/code.proto", cwd=WORK)
        for first, then in (("linkgateway.v1.unlink_pb2", "google.rpc.status_pb2"),
                            ("google.rpc.status_pb2", "linkgateway.v1.unlink_pb2")):
            program = (f"import {first}, {then}\n"
                       "import linkgateway_client.protos as p\n"
                       "print(p.status_pb2.__name__, p.operations_pb2.__name__)")
            done = subprocess.run([f"{venv}/bin/python", "-c", program], capture_output=True,
                                  text=True, cwd=WORK, env=dict(ENV, PYTHONPATH=official))
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertEqual(done.stdout.split(), [
                "google.rpc.status_pb2", "linkgateway_client._protos.google.longrunning.operations_pb2"])

    def test_go(self):
        def steps():
            project = sample("go")
            run("go", "mod", "edit",
                f"-replace=linkgateway.io/client={os.path.join(CHECKOUT, 'clients', 'go')}",
                cwd=project)
            run("python3", os.path.join(CHECKOUT, "clients", "go", "debian_vendor.py"), ".",
                cwd=project)
            run("go", "build", "-o", "unlinksample", ".", cwd=project)
            return run("./unlinksample", *self.unlink_ids("go"), cwd=project)
        self.timed("go", steps)

    def test_go_generated_code_is_current(self):
        """linkgatewayv1/ is what generate.sh makes from protos/ (comments
        aside, so that a reworded comment does not break the build)."""
        fresh = os.path.join(WORK, "linkgatewayv1")
        run("bash", os.path.join(CHECKOUT, "clients", "go", "generate.sh"), fresh, cwd=WORK)
        committed = os.path.join(CHECKOUT, "clients", "go", "linkgatewayv1")
        self.assertEqual(sorted(os.listdir(fresh)), sorted(os.listdir(committed)))

        def code(path):
            with open(path, encoding="utf-8") as f:
                return [line for line in f if not line.lstrip().startswith("//")]
        for name in os.listdir(fresh):
            self.assertEqual(code(os.path.join(fresh, name)), code(os.path.join(committed, name)),
                             f"clients/go/linkgatewayv1/{name} is stale: run clients/go/generate.sh")

    def test_java(self):
        maven = ["mvn", "-q", "-B", f"-Dmaven.repo.local={MAVEN_REPO}"]

        def steps():
            run(*maven, "install", cwd=os.path.join(CHECKOUT, "clients", "java"))
            target = " ".join(self.unlink_ids("java"))
            return run(*maven, "package", "exec:java", f"-Dexec.args={target}",
                       cwd=sample("java"))
        self.timed("java", steps)
        built = os.path.join(CHECKOUT, "clients", "java", "client", "target")
        for jar in ("linkgateway-client-0.6.0.jar", "linkgateway-client-0.6.0-sources.jar"):
            self.assertTrue(os.path.exists(os.path.join(built, jar)), jar)
        listed = run("jar", "--list", "--file", os.path.join(built, "linkgateway-client-0.6.0.jar"),
                     cwd=WORK)
        # Its classes are its own: no com.google.* or io.grpc.* of another artifact.
        self.assertFalse([c for c in listed.splitlines() if c.startswith(("com/", "io/grpc/"))])

    def test_node(self):
        def steps():
            package = os.path.join(CHECKOUT, "clients", "node")
            tarball = run(*NPM, "pack", "--pack-destination", WORK, cwd=package).split()[-1]
            project = sample("node")
            run(*NPM, "install", os.path.join(WORK, tarball), "typescript@5.9.3", cwd=project)
            run("npx", "--no-install", "tsc", cwd=project)  # strict: the declarations hold
            return run("node", "dist/unlink_sample.js", *self.unlink_ids("node"), cwd=project)
        self.timed("node", steps)

    def test_cpp(self):
        prefix = os.path.join(WORK, "prefix")

        def steps():
            build = os.path.join(WORK, "cpp-build")
            run("cmake", "-S", os.path.join(CHECKOUT, "clients", "cpp"), "-B", build,
                f"-DCMAKE_INSTALL_PREFIX={prefix}", cwd=WORK)
            run("cmake", "--build", build, "-j2", cwd=WORK, timeout=900)
            run("cmake", "--install", build, cwd=WORK)
            project = sample("cpp")
            run("cmake", "-S", ".", "-B", "build", f"-DCMAKE_PREFIX_PATH={prefix}", cwd=project)
            run("cmake", "--build", "build", cwd=project)
            return run("./build/unlink_sample", *self.unlink_ids("cpp"), cwd=project)
        self.timed("cpp", steps)
        flags = subprocess.run(
            ["pkg-config", "--cflags", "--libs", "linkgateway_client"], capture_output=True,
            text=True, env=dict(ENV, PKG_CONFIG_PATH=os.path.join(prefix, "lib", "pkgconfig")))
        self.assertEqual(flags.returncode, 0, flags.stderr)
        self.assertIn("-llinkgateway_client", flags.stdout)


if __name__ == "__main__":
    unittest.main()
