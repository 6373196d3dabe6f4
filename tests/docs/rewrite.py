"""Turns a command a reader types at the repository root into the one the
doc test runs inside Bazel's test sandbox:

- `bazel build TARGETS` checks that each target is in the test's runfiles
  (the doc test's data) and does nothing else; `bazel run //pkg:name -- ARGS`
  and `bazel-bin/pkg/name` run the runfiles' copy. Any other bazel command
  cannot run inside a test: its block must be marked not run.
- `bazel run //:gateway [-- ARGS]` and `bazel run //server:gateway -- ARGS`
  start a server in the background, as a reader starts it in another
  terminal.
- Loopback ports are the page's names for servers: 50051 and 9464 are the
  gateway and metrics ports of `bazel run //:gateway`; any other port gets a
  free port of this run.
- The demo's device token (it differs on every run) is the running one's.
"""

import re
import shlex

# Targets that are aliases in the workspace: their runfiles path.
ALIASES = {"//:gateway": "tests/emulators/run_gateway"}
GATEWAYS = ("//:gateway", "//tests/emulators:run_gateway", "//server:gateway")
LAUNCHER_PORT, LAUNCHER_METRICS_PORT = "50051", "9464"

_PORT = re.compile(r"\b(127\.0\.0\.1|localhost):(\d{2,5})\b")
_BAZEL = re.compile(r"(?<![\w/.-])bazel\s+(?P<verb>\w+)(?:\s+(?:-c\s+\w+|--?[\w=./:-]+))*"
                    r"(?P<labels>(?:\s+//[\w/.-]*(?::[\w.+-]+)?)*)(?:\s+--(?=\s|$))?")
_BAZEL_BIN = re.compile(r"(?<![\w/.-])bazel-bin/([\w/.+-]+)")
_DEVICE_TOKEN = re.compile(r"Atza\|device-[0-9a-f]+")


class RewriteError(Exception):
    pass


def runfiles_path(label):
    """`//pkg:name` -> "pkg/name"; `//pkg` -> "pkg/<last part>"."""
    if label in ALIASES:
        return ALIASES[label]
    package, _, name = label[2:].partition(":")
    if not name:
        name = package.rsplit("/", 1)[-1]
    return f"{package}/{name}" if package else name


def background(command):
    """(label, argument text) when `command` starts a gateway, else None."""
    match = _BAZEL.match(command.strip())
    if not match or match.group("verb") != "run":
        return None
    labels = match.group("labels").split()
    if len(labels) != 1 or labels[0] not in GATEWAYS:
        return None
    return labels[0], command.strip()[match.end():].strip()


def names_demo_token(command):
    """True when `command` holds the demo's device token (from its banner)."""
    return bool(_DEVICE_TOKEN.search(command))


def ports(command):
    """The loopback ports `command` names."""
    return [m.group(2) for m in _PORT.finditer(command)]


class Rewriter:
    """`exists(relative_path)` tells whether the runfiles hold a file;
    `runfiles` is their absolute root."""

    def __init__(self, runfiles, exists):
        self.runfiles, self.exists = runfiles, exists
        self.port_map = {}  # the page's port -> this run's
        self.device_token = None

    def _binary(self, label):
        path = runfiles_path(label)
        if not self.exists(path):
            raise RewriteError(f"{label} is not in the doc test's runfiles: add it to "
                               "//tests/docs:doc_test's data")
        return shlex.quote(f"{self.runfiles}/{path}")

    def _bazel(self, match):
        verb, labels = match.group("verb"), match.group("labels").split()
        if verb == "build":
            for label in labels:
                self._binary(label)
            return "true"
        if verb == "run" and len(labels) == 1:
            return self._binary(labels[0])
        raise RewriteError(f"`bazel {verb}` cannot run inside a Bazel test: mark the block "
                           "<!-- doc-test: not run: <reason> -->")

    def _bazel_bin(self, match):
        path = match.group(1)
        if not self.exists(path):
            raise RewriteError(f"bazel-bin/{path} is not in the doc test's runfiles: add its "
                               "target to //tests/docs:doc_test's data")
        return shlex.quote(f"{self.runfiles}/{path}")

    def command(self, command):
        """`command` as the test runs it (ports must all be mapped)."""
        command = _BAZEL.sub(self._bazel, command)
        command = _BAZEL_BIN.sub(self._bazel_bin, command)
        command = _PORT.sub(lambda m: f"{m.group(1)}:{self.port_map[m.group(2)]}", command)
        if self.device_token:
            command = _DEVICE_TOKEN.sub(lambda _: self.device_token, command)
        return command

    def back(self, output):
        """This run's `output` in the page's terms (for --update)."""
        reverse = {actual: page for page, actual in self.port_map.items()}
        output = _PORT.sub(lambda m: f"{m.group(1)}:{reverse.get(m.group(2), m.group(2))}",
                           output)
        return output.replace(f"{self.runfiles}/", "bazel-bin/")
