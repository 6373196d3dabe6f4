"""Fills a Go module's vendor/ folder from Debian's Go source packages
(/usr/share/gocode), offline, so that `go build -mod=vendor` builds it with
GOPROXY=off:

    python3 debian_vendor.py MODULE_DIR

`go mod vendor` cannot do this offline: it loads the whole module graph, and
grpc's go.mod names modules Debian does not ship (envoyproxy, cncf/udpa,
...). `replace` directives into /usr/share/gocode fail the same way. Vendoring
reads no dependency's go.mod: the go command trusts vendor/modules.txt.
Hand-written for that reason.

What it does: lists the packages MODULE_DIR's packages import (`go list -deps`
in GOPATH mode over /usr/share/gocode and the module's local `replace`
targets), copies each into vendor/, records them in vendor/modules.txt under
the module that provides them, and adds to go.mod (`go mod edit`) the
requirements that local replacements need (what `go mod tidy` would add).
A module's version comes from the requirements of MODULE_DIR's go.mod or of
a locally replaced module's go.mod (linkgateway.io/client pins Debian's).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

GOCODE = "/usr/share/gocode/src"


def go_mod(directory):
    """`go mod edit -json` of directory/go.mod."""
    return json.loads(subprocess.run(["go", "mod", "edit", "-json"], cwd=directory, check=True,
                                     capture_output=True, text=True).stdout)


def go_version(directory):
    """The `go` directive of a module's go.mod, if it has one."""
    try:
        with open(os.path.join(directory, "go.mod"), encoding="utf-8") as f:
            for line in f:
                if line.startswith("go "):
                    return line.split()[1]
    except OSError:
        pass
    return None


def owner(package, modules):
    """The module path providing `package`: the longest matching prefix."""
    best = None
    for path in modules:
        if (package == path or package.startswith(path + "/")) and \
                (best is None or len(path) > len(best)):
            best = path
    return best


def main(module_dir):
    module_dir = os.path.abspath(module_dir)
    main_mod = go_mod(module_dir)
    main_path = main_mod["Module"]["Path"]
    versions = {r["Path"]: r["Version"] for r in main_mod.get("Require") or []}
    replaced = {}  # module path -> (local directory, text after "=>" in modules.txt)
    for r in main_mod.get("Replace") or []:
        new = r["New"]["Path"]
        if not new.startswith((".", "/")):
            raise SystemExit(f"only local replacements can be vendored offline: {r['Old']['Path']}")
        replaced[r["Old"]["Path"]] = (os.path.normpath(os.path.join(module_dir, new)), new)
    added = {}
    for path, (directory, _) in replaced.items():
        for r in go_mod(directory).get("Require") or []:
            if r["Path"] not in versions and r["Path"] not in added:
                added[r["Path"]] = r["Version"]
    versions.update(added)

    vendor = os.path.join(module_dir, "vendor")
    shutil.rmtree(vendor, ignore_errors=True)
    with tempfile.TemporaryDirectory() as gopath:
        # A copy of the main module and its local replacements at their import
        # paths (GOPATH mode resolves a symlinked folder to its real path).
        for path, directory in [(main_path, module_dir)] + \
                [(p, d) for p, (d, _) in replaced.items()]:
            shutil.copytree(directory, os.path.join(gopath, "src", path),
                            ignore=shutil.ignore_patterns("vendor", ".git", "node_modules"))
        env = dict(os.environ, GO111MODULE="off", GOPATH=f"{gopath}:{os.path.dirname(GOCODE)}",
                   GOFLAGS="", GOCACHE=os.environ.get("GOCACHE") or os.path.join(gopath, "cache"))
        listed = subprocess.run(
            ["go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}\t{{.Dir}}{{end}}",
             "./..."], cwd=os.path.join(gopath, "src", main_path), env=env,
            capture_output=True, text=True)
        if listed.returncode != 0:
            raise SystemExit(f"go list failed:\n{listed.stderr}")
        packages = {}  # module path -> [package import paths]
        for line in listed.stdout.split("\n"):
            if not line:
                continue
            package, directory = line.split("\t")
            module = owner(package, [main_path] + list(versions))
            if module is None:
                raise SystemExit(f"{package} ({directory}): no module in go.mod provides it")
            if module == main_path:
                continue
            packages.setdefault(module, []).append(package)
            target = os.path.join(vendor, package)
            os.makedirs(target, exist_ok=True)
            for name in sorted(os.listdir(directory)):
                source = os.path.join(directory, name)
                if os.path.isfile(source) and not name.endswith("_test.go"):
                    shutil.copyfile(source, os.path.join(target, name))

    # Requirements the replaced modules need, as `go mod tidy` would add them.
    for path, version in sorted(added.items()):
        if path in packages:
            subprocess.run(["go", "mod", "edit", f"-require={path}@{version}"], cwd=module_dir,
                           check=True)
    required = {r["Path"] for r in go_mod(module_dir).get("Require") or []}
    lines = []
    for path in sorted(required):
        header = f"# {path} {versions[path]}"
        if path in replaced:
            header += f" => {replaced[path][1]}"
            source = replaced[path][0]
        else:
            source = os.path.join(GOCODE, path)
        lines.append(header)
        go = go_version(source)
        lines.append("## explicit" + (f"; go {go}" if go else ""))
        lines.extend(sorted(packages.get(path, [])))
    # Replacements of every version ("path => dir") are listed again on
    # their own, as `go mod vendor` writes them.
    for path, (_, new) in sorted(replaced.items()):
        lines.append(f"# {path} => {new}")
    os.makedirs(vendor, exist_ok=True)
    with open(os.path.join(vendor, "modules.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
