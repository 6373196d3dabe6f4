"""The doc test: runs every shell block of README.md and docs/**/*.md.

Each page gets a fresh copy of the repository's tracked files, one bash
session for all its blocks (variables and the working directory carry over
from block to block, as in a reader's terminal) and, when it names
127.0.0.1:50051 or :9464, `bazel run //:gateway`'s launcher on free ports.
Each command's output is compared with the one the page shows after
normalising ids, times, latencies and ports (tests/docs/normalise.py); a
command whose page shows no output must print nothing and succeed. Blocks
marked `<!-- doc-test: not run: <reason> -->` are listed with their reason.
See markdown_shell.py for the page format and rewrite.py for what changes
between the reader's command and the one run here.

    bazel test //tests/docs:doc_test
    bazel run //tests/docs:doc_test -- --update [PAGE...]   # rewrite the pages' outputs from a run
"""

import argparse
import glob
import os
import re
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xml.sax.saxutils

import markdown_shell
import normalise
import rewrite
import source_tree

COMMAND_TIMEOUT_S = 120
SERVER_START_TIMEOUT_S = 60
GATEWAY_OUTPUT_WAIT_S = 10
_LISTENING = re.compile(r"linkgateway: listening on 127\.0\.0\.1:(\d+)")
_METRICS = re.compile(r"linkgateway: metrics on http://127\.0\.0\.1:(\d+)/metrics")
_TOKEN = re.compile(r"device token: (Atza\|device-[0-9a-f]+)")


class Failure(Exception):
    pass


def exited(pid):
    """Whether the process is gone or a zombie. Its shell may reap it between
    any two looks at /proc, so a vanished file means gone too."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True


class Shell:
    """One bash session; each command's output (stdout and stderr, as a
    terminal shows them) goes to a file of its own."""

    def __init__(self, cwd, env, scratch):
        self.scratch, self.count = scratch, 0
        self.errors = os.path.join(scratch, "bash.stderr")  # e.g. a syntax error
        with open(self.errors, "w") as errors:
            self.process = subprocess.Popen(
                ["bash", "--noprofile", "--norc"], cwd=cwd, env=env, stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=errors, start_new_session=True)

    def run(self, command, timeout=COMMAND_TIMEOUT_S):
        self.count += 1
        out = os.path.join(self.scratch, f"out.{self.count}")
        script = os.path.join(self.scratch, f"command.{self.count}")
        with open(script, "w") as f:
            f.write(command + "\n")
        # Sourced, so that it runs in this shell and a syntax error fails
        # only this command.
        self.process.stdin.write(
            f". {script} >{out} 2>&1 </dev/null; printf '%s %d\\n' __doc_test_rc $?\n".encode())
        self.process.stdin.flush()
        deadline, seen = time.monotonic() + timeout, b""
        while b"__doc_test_rc " not in seen:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.process.stdout], [], [], left)[0]:
                raise Failure(f"no answer within {timeout} s")
            chunk = os.read(self.process.stdout.fileno(), 4096)
            if not chunk:
                raise Failure("the shell exited (exit or exec in a command?)")
            seen += chunk
        rc = int(seen.split(b"__doc_test_rc ")[1].split()[0])
        with open(out, errors="replace") as f:
            return f.read(), rc

    def close(self):
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


class Page:
    """Runs one page's blocks."""

    def __init__(self, path, name, runfiles, scratch):
        self.path, self.name, self.runfiles = path, name, runfiles
        self.scratch = scratch
        self.tmp = os.path.join(scratch, "tmp")
        os.makedirs(self.tmp)
        home = os.path.join(scratch, "home")
        os.makedirs(home)
        self.checkout = source_tree.checkout(source_tree.root(), os.path.join(scratch, "repo"))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("TEST_", "BUILD_", "RUNFILES", "XML_OUTPUT"))}
        env.update(HOME=home, TMPDIR=self.tmp, LC_ALL="C.UTF-8",
                   BUF_CACHE_DIR=os.path.join(scratch, "buf-cache"))
        self.shell = Shell(self.checkout, env, scratch)
        self.rewriter = rewrite.Rewriter(
            runfiles, lambda p: os.path.exists(os.path.join(runfiles, p)))
        self.servers = []  # (pid, log path)
        self.launcher = None  # (pid, log path) of `bazel run //:gateway`
        self.updates = []  # (first line, last line, new text)
        self.ids = (normalise.Ids(), normalise.Ids())  # the page's, this run's

    # Servers -------------------------------------------------------------

    def _start(self, command, log, wait_for_metrics=False):
        _, rc = self.shell.run(f"{command} >{log} 2>&1 &\necho $! >{log}.pid")
        with open(f"{log}.pid") as f:
            pid = int(f.read())
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            text = read(log)
            listening = _LISTENING.search(text)
            if listening and (_METRICS.search(text) or not wait_for_metrics):
                self.servers.append((pid, log))
                return pid, text
            if exited(pid):
                raise Failure(f"the server exited before it listened:\n{text}")
            time.sleep(0.1)
        raise Failure(f"the server did not listen within {SERVER_START_TIMEOUT_S} s:\n{text}")

    def _stop(self, pid):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 30
        while not exited(pid):
            if time.monotonic() >= deadline:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                break
            time.sleep(0.05)
        self.servers = [s for s in self.servers if s[0] != pid]

    def start_launcher(self, arguments=""):
        if self.launcher:
            self._stop(self.launcher[0])
        log = os.path.join(self.scratch, f"launcher.{len(self.servers)}.log")
        launcher = shlex.quote(os.path.join(self.runfiles, "tests/emulators/run_gateway.py"))
        pid, text = self._start(
            f"/usr/bin/python3 -u {launcher} --listen=127.0.0.1:0 --metrics=127.0.0.1:0 "
            f"{arguments}", log, wait_for_metrics=True)
        self.launcher = (pid, log)
        self.rewriter.port_map[rewrite.LAUNCHER_PORT] = _LISTENING.search(text).group(1)
        self.rewriter.port_map[rewrite.LAUNCHER_METRICS_PORT] = _METRICS.search(text).group(1)
        self.rewriter.device_token = _TOKEN.search(text).group(1)

    def start_gateway(self, arguments):
        log = os.path.join(self.scratch, f"gateway.{len(self.servers)}.log")
        self._start(f"{shlex.quote(os.path.join(self.runfiles, 'server/gateway'))} {arguments}",
                    log)

    def _map_ports(self, command):
        if self.launcher is None and rewrite.names_demo_token(command):
            self.start_launcher()
        for port in rewrite.ports(command):
            if port in self.rewriter.port_map:
                continue
            if port in (rewrite.LAUNCHER_PORT, rewrite.LAUNCHER_METRICS_PORT):
                self.start_launcher()
            else:
                self.rewriter.port_map[port] = str(free_port())

    def servers_output(self):
        if not self.servers:
            raise Failure("no gateway was started on this page")
        return "".join(read(log) for _, log in self.servers)

    # Blocks --------------------------------------------------------------

    def run_step(self, step):
        started = rewrite.background(step.command)
        self._map_ports(step.command)
        if started:
            label, arguments = started
            arguments = self.rewriter.command(arguments)
            if label == "//server:gateway":
                return self.start_gateway(arguments)
            return self.start_launcher(arguments)
        try:
            command = self.rewriter.command(step.command)
        except rewrite.RewriteError as error:
            raise Failure(str(error))
        output, rc = self.shell.run(command)
        dirs = (self.tmp, self.checkout)
        if step.output is not None:  # --update writes a page's outputs from one run
            self.updates.append((*step.output_lines, self.rewriter.back(output).rstrip()))
        if step.output is None:  # a script line: it must succeed
            if rc != 0:
                raise Failure(f"exit status {rc}, printed:\n{output}")
            return
        if not step.output.strip():  # the page shows nothing: it must print nothing
            if rc != 0 or output.strip():
                raise Failure(f"the page shows no output; exit status {rc}, printed:\n{output}")
            return
        if not normalise.same(step.output, output, dirs, self.ids):
            raise Failure("the output differs:\n" +
                          normalise.diff(step.output, output, dirs, self.ids))

    def check_gateway_output(self, block):
        wanted = [line for line in block.text.split("\n") if line.strip()]
        deadline = time.monotonic() + GATEWAY_OUTPUT_WAIT_S
        while True:
            printed = {normalise.text(line).rstrip()
                       for line in self.servers_output().split("\n")}
            missing = [line for line in wanted if normalise.text(line).rstrip() not in printed]
            if not missing:
                return
            if time.monotonic() > deadline:
                raise Failure("the gateway did not print (normalised):\n" +
                              "\n".join(normalise.text(m) for m in missing) +
                              "\nit printed:\n" + self.servers_output())
            time.sleep(0.2)

    def close(self):
        for pid, _ in reversed(list(self.servers)):
            self._stop(pid)
        self.shell.close()


def read(path):
    """The file's text so far ("" before its writer created it)."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pages(root):
    found = [os.path.join(root, "README.md")]
    found += sorted(glob.glob(os.path.join(root, "docs", "**", "*.md"), recursive=True))
    return [p for p in found if os.path.isfile(p)]


def run_page(path, name, runfiles, results):
    """Runs one page; appends (name, block line, status, message) to results."""
    with open(path) as f:
        blocks = markdown_shell.blocks(f.read())
    scratch = tempfile.mkdtemp(prefix="doc-test.", dir=os.environ.get("TEST_TMPDIR"))
    page = None
    try:
        for block in blocks:
            where = f"{name}:{block.line}"
            if block.skip_reason and block.is_shell:
                results.append((where, "skipped", block.skip_reason))
                continue
            if not block.is_shell and block.directive != "gateway output":
                continue
            if page is None:
                page = Page(path, name, runfiles, scratch)
            failures = []  # every step runs: later ones may still tell something
            for step in (block.steps if block.is_shell else [None]):
                try:
                    if step:
                        page.run_step(step)
                    else:
                        page.check_gateway_output(block)
                except Failure as failure:
                    failures.append(f"{name}:{step.line}: $ {step.command}\n{failure}"
                                    if step else str(failure))
            results.append((where, "failed", "\n\n".join(failures)) if failures
                           else (where, "passed", ""))
    finally:
        if page:
            page.close()
    shutil.rmtree(scratch, ignore_errors=True)
    return page.updates if page else []


def write_xml(results, seconds):
    path = os.environ.get("XML_OUTPUT_FILE")
    if not path:
        return
    esc = xml.sax.saxutils.quoteattr
    failed = sum(r[1] == "failed" for r in results)
    skipped = sum(r[1] == "skipped" for r in results)
    lines = [f'<?xml version="1.0" encoding="UTF-8"?>',
             f'<testsuites><testsuite name="doc_test" tests="{len(results)}" '
             f'failures="{failed}" skipped="{skipped}" time="{seconds:.1f}">']
    for where, status, message in results:
        lines.append(f'<testcase name={esc(where)} classname="doc_test">')
        if status == "failed":
            lines.append(f"<failure message={esc(message.splitlines()[0])}>"
                         f"{xml.sax.saxutils.escape(message)}</failure>")
        elif status == "skipped":
            lines.append(f"<skipped message={esc(message)}/>")
        lines.append("</testcase>")
    lines.append("</testsuite></testsuites>")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def apply_updates(path, updates):
    """Replaces each (first, last) line range of the page with its new text."""
    with open(path) as f:
        lines = f.read().split("\n")
    for first, last, text in sorted(updates, key=lambda u: -u[0]):
        lines[first - 1:last] = text.split("\n") if text else []
    with open(path, "w") as f:
        f.write("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true",
                        help="write this run's outputs into the pages (with bazel run)")
    parser.add_argument("only", nargs="*", help="pages to run (default: all)")
    args = parser.parse_args()
    runfiles = os.path.join(os.environ["TEST_SRCDIR"], os.environ["TEST_WORKSPACE"]) \
        if "TEST_SRCDIR" in os.environ else os.path.abspath(os.path.join(
            os.path.dirname(__file__), "..", ".."))
    os.environ.setdefault("TEST_SRCDIR", os.path.dirname(runfiles))
    os.environ.setdefault("TEST_WORKSPACE", os.path.basename(runfiles))
    source = os.environ.get("BUILD_WORKSPACE_DIRECTORY") if args.update else None
    started, results = time.monotonic(), []
    for path in pages(runfiles):
        name = os.path.relpath(path, runfiles)
        if args.only and name not in args.only:
            continue
        page_started = time.monotonic()
        updates = run_page(path, name, runfiles, results)
        print(f"{name}: {time.monotonic() - page_started:.1f} s", flush=True)
        if source and updates:
            apply_updates(os.path.join(source, name), updates)
            print(f"  rewrote {len(updates)} outputs in {name}")
    seconds = time.monotonic() - started
    for where, status, message in results:
        if status == "failed":
            print(f"\nFAILED {where}\n{message}")
    skipped = [r for r in results if r[1] == "skipped"]
    ran = [r for r in results if r[1] != "skipped"]
    print(f"\ndoc test: {len(ran)} blocks run ({sum(r[1] == 'failed' for r in ran)} failed), "
          f"{len(skipped)} not run, in {seconds:.1f} s")
    for where, _, reason in skipped:
        print(f"  not run: {where}: {reason}")
    write_xml(results, seconds)
    return 1 if any(r[1] == "failed" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
