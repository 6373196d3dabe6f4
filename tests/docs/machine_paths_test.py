"""No file the repository tracks names a path of one machine: a user's home
or root's, the shared work directory of the machines this project is built
on, a Bazel output base, or a temporary directory with a random name (what
mkdtemp and mktemp make). Such a path works on one machine only, and tells
readers nothing.

The same rule as the session hook's `git grep`, over the files
`git ls-files` lists (or a walk of the tree when git is missing).
"""

import os
import re
import unittest

import source_tree

_HOME_ROOT_WORK = re.compile(r"(?:^|[^A-Za-z0-9_.])(/(?:work|root|home/[a-z][a-z0-9_-]*)/)")
_OUTPUT_BASE = re.compile(r"_bazel_[a-z][a-z0-9_-]*/[0-9a-f]{32}")
_RANDOM_TMP = re.compile(r"/tmp/(?:tmp|[\w-]+[._-])([A-Za-z0-9_]{6,12})(?![\w.-])")


def _random(suffix):
    return any(c.isdigit() for c in suffix) and any(c.isalpha() for c in suffix)


def machine_paths(line):
    """The machine-specific paths in one line of text."""
    found = [m.group(1) for m in _HOME_ROOT_WORK.finditer(line)]
    found += [m.group(0) for m in _OUTPUT_BASE.finditer(line)]
    found += [m.group(0) for m in _RANDOM_TMP.finditer(line) if _random(m.group(1))]
    return found


class MachinePathsTest(unittest.TestCase):

    def test_the_rule(self):
        s = "/"  # the examples are assembled, so that this file passes its own check
        for line in [
                f"cd {s}work{s}main && npm install",
                f'path: "{s}root{s}.cache/bazel/x"',
                f"see {s}home{s}alice{s}src/linkgateway/README.md",
                "bazel-bin -> /x/_bazel_" + "root/41609e8e2e2a8f448a0649d28301a6e3/execroot",
                f"configuration: {s}tmp{s}linkgateway-demo.lwaq6qms/gateway.textproto",
                f"kept in {s}tmp{s}linkgateway-unlink-0Uuz0k",
                f"D={s}tmp{s}tmp.Xa81kQ0pZ2",
                f"'{s}tmp{s}tmpk3j_9x2a'",
        ]:
            with self.subTest(line=line):
                self.assertTrue(machine_paths(line), line)
        for line in [
                "D=$(mktemp -d)",
                "mkdir /tmp/lg-readme/app",
                "D=/tmp/linkgateway-tls; mkdir -p $D",
                "/var/lib/linkgateway and /run/secrets/redis",
                "tests/work/main.cc and server/root/x and my_home/user/",
                "https://example.org/work/x",  # a URL's path, not this machine's
                "/etc/linkgateway/gateway.textproto",
        ]:
            with self.subTest(line=line):
                self.assertEqual(machine_paths(line), [], line)

    def test_no_tracked_file_names_a_machine_path(self):
        top = source_tree.root()
        files, how = source_tree.tracked_files(top)
        self.assertGreater(len(files), 100, f"too few files from {how} in {top}")
        hits = []
        for path in files:
            full = os.path.join(top, path)
            if not os.path.isfile(full):
                continue
            with open(full, "rb") as f:
                data = f.read()
            if b"\0" in data:
                continue  # binary (a descriptor image)
            for number, line in enumerate(data.decode("utf-8", "replace").split("\n"), 1):
                hits += [f"{path}:{number}: {p}" for p in machine_paths(line)]
        print(f"{len(files)} files checked (listed by {how})")
        self.assertEqual(hits, [], "machine-specific paths:\n" + "\n".join(hits))


if __name__ == "__main__":
    unittest.main()
