"""The repository's source tree, seen from a Bazel test.

Runfiles are symlinks into the source tree, so a data file (README.md)
leads to it, as protos/buf_test.sh finds buf.yaml. The tracked files come
from `git ls-files` when git and the repository are there; otherwise from a
walk that leaves out what .gitignore names (Bazel's output links,
node_modules, __pycache__) and .git.
"""

import os
import shutil
import subprocess

_UNTRACKED_DIRS = {".git", "node_modules", "__pycache__"}


def root():
    """The source tree's root: where the runfiles' README.md points to."""
    runfiles = os.path.join(os.environ["TEST_SRCDIR"], os.environ["TEST_WORKSPACE"])
    readme = os.path.realpath(os.path.join(runfiles, "README.md"))
    if not os.path.exists(readme):
        raise RuntimeError(f"README.md is not in the runfiles ({runfiles})")
    return os.path.dirname(readme)


def tracked_files(top):
    """Paths (relative to `top`) of the repository's files, and how they were
    listed ("git ls-files" or "a walk of the tree")."""
    if os.path.exists(os.path.join(top, ".git")) and shutil.which("git"):
        listed = subprocess.run(["git", "-C", top, "ls-files", "-z"], capture_output=True)
        if listed.returncode == 0:
            return [p for p in listed.stdout.decode().split("\0") if p], "git ls-files"
    found = []
    for directory, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d not in _UNTRACKED_DIRS and
                         not (directory == top and d.startswith("bazel-")))
        for name in sorted(files):
            if name.endswith(".tgz") or name.startswith(".targets") or name == ".fuzz":
                continue
            found.append(os.path.relpath(os.path.join(directory, name), top))
    return found, "a walk of the tree"


def checkout(top, destination):
    """A copy of the tracked files under `destination`, as a fresh clone has
    them, plus links to the node_modules directories bazel/install-deps.sh
    installed (buf, the Node client's dependencies)."""
    files, _ = tracked_files(top)
    for path in files:
        source = os.path.join(top, path)
        if not os.path.isfile(source):
            continue  # deleted in the work tree, not yet committed
        target = os.path.join(destination, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(source, target)
    for directory in {os.path.dirname(p) for p in files if p.endswith("package-lock.json")}:
        modules = os.path.join(top, directory, "node_modules")
        if os.path.isdir(modules):
            os.symlink(modules, os.path.join(destination, directory, "node_modules"))
    return destination
