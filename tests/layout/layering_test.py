"""The architecture, checked (docs/architecture.md):

- every package of the gateway is in one layer (layers.py), and includes
  only its own layer and the ones below; no provider includes another;
- no provider is named in code outside its folder (its folder name, its
  CamelCase form, its oneof case constant, or a name made from it such as
  `imiconnect_transaction_id`), but in the places docs/architecture.md
  "Adding a provider" lists: the API's .proto files, the configuration's,
  and one line of adapters/BUILD.bazel;
- every C++ file's namespace is its folder's (linkgateway::a::b for a/b/);
- docs/architecture.md shows the layers as layers.py lists them.
"""

import argparse
import os
import re
import sys
import unittest

import layers

GATEWAY_TREES = ("adapters/", "server/", "config/", "observability/", "protos/")


def camel(name):
    return "".join(part.capitalize() for part in name.split("_"))


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def package_of(path):
    return os.path.dirname(path)


def provider_of(path, providers):
    """The provider whose folder holds `path`, or None."""
    parts = package_of(path).split("/")
    return parts[1] if len(parts) == 2 and parts[0] == "adapters" and parts[1] in providers else None


def is_test_code(path):
    return (path.endswith("_test.cc") or "_conformance." in path
            or path.startswith("adapters/testing/"))


def provider_pattern(providers):
    """Matches a provider's names, alone or as a part of a longer snake_case
    or CamelCase name made from it: `imiconnect`, `kImiconnect`,
    `set_imiconnect_transaction_id`, `GetImiconnectTransaction`."""
    snake = "|".join(sorted(providers, key=len, reverse=True))
    camels = "|".join(sorted((camel(p) for p in providers), key=len, reverse=True))
    return re.compile(r"(?<![A-Za-z0-9])(" + snake + r")(?![a-z0-9])"
                      r"|(?<![A-Z0-9])(" + camels + r")(?![a-z0-9])")


def provider_names_in(text, providers):
    """(line, code) of every line of `text` (comments removed) that names a
    provider."""
    pattern = provider_pattern(providers)
    return [(n, line.strip()) for n, line in enumerate(strip_comments(text).splitlines(), 1)
            if pattern.search(line)]


def namespace_problem(path, text):
    """Why `path`'s first named namespace is not its folder's, or None."""
    match = re.search(r"^namespace ([\w:]+) \{", strip_comments(text), flags=re.M)
    if match is None:
        return None  # only anonymous namespaces (a main file)
    expected = "linkgateway::" + "::".join(package_of(path).split("/"))
    if match.group(1) == expected or match.group(1).startswith(expected + "::"):
        return None
    return f"{path}: namespace {match.group(1)}, expected {expected}"


def includes_of(text):
    return re.findall(r'^#include "([^"]+)"', text, flags=re.M)


class LayeringTest(unittest.TestCase):
    sources = {}      # path -> text, every C++ file of the project's packages
    protos = {}       # path -> text
    adapters_build = ""
    architecture = ""
    providers = []

    def test_four_providers_each_with_a_factory(self):
        self.assertEqual(self.providers,
                         ["dash_replenishment", "imiconnect", "selling_partner", "sms_voice"])

    def test_every_gateway_package_is_in_a_layer(self):
        self.assertGreater(len(self.sources), 150, "the sources were not found")
        lost = sorted({package_of(p) for p in self.sources
                       if not p.startswith(layers.OUTSIDE)
                       and layers.layer_of(package_of(p), self.providers) is None})
        self.assertEqual(lost, [], "packages in no layer: add them to tests/layout/layers.py")

    def test_includes_go_only_down(self):
        upward = []
        for path, text in self.sources.items():
            package = package_of(path)
            mine = layers.layer_of(package, self.providers)
            if mine is None or is_test_code(path):
                continue
            for header in includes_of(text):
                target = package_of(header)
                theirs = layers.layer_of(target, self.providers)
                if theirs is None or target == package:
                    continue
                if theirs > mine:
                    upward.append(f"{path} includes {header} ({layers.LAYERS[theirs][0]} is "
                                  f"above {layers.LAYERS[mine][0]})")
                elif (provider_of(path, self.providers) and provider_of(header, self.providers)
                      and provider_of(header, self.providers) != provider_of(path, self.providers)):
                    upward.append(f"{path} includes another provider's {header}")
        self.assertEqual(upward, [])

    def test_no_provider_named_outside_its_folder(self):
        offenders = []
        for path, text in self.sources.items():
            if not path.startswith(GATEWAY_TREES) or is_test_code(path):
                continue
            own = provider_of(path, self.providers)
            others = [p for p in self.providers if p != own]
            for n, line in provider_names_in(text, others):
                offenders.append(f"{path}:{n}: {line}")
        self.assertEqual(offenders, [], "provider names outside their folders")

    def test_adding_a_provider_touches_the_listed_places_only(self):
        # The places besides its folder (docs/architecture.md): the API's
        # oneof cases and key messages, its config message, one BUILD line.
        for provider in self.providers:
            places = set()
            for path, text in self.protos.items():
                if provider_names_in(text, [provider]):
                    places.add(path)
            for path, text in self.sources.items():
                if (path.startswith(GATEWAY_TREES) and not is_test_code(path)
                        and provider_of(path, self.providers) != provider
                        and provider_names_in(text, [provider])):
                    places.add(path)
            build_lines = [line for line in self.adapters_build.splitlines()
                           if f"//adapters/{provider}:" in line]
            self.assertEqual(len(build_lines), 1, build_lines)
            unexpected = sorted(p for p in places
                                if not (p.startswith("protos/linkgateway/v1/")
                                        or p == "protos/linkgateway/config/v1/gateway_config.proto"))
            self.assertEqual(unexpected, [], f"{provider} is named beyond the listed places")
            self.assertIn("protos/linkgateway/config/v1/gateway_config.proto", places)

    def test_namespaces_follow_folders(self):
        problems = [problem for path, text in self.sources.items()
                    if not path.startswith("bazel/")
                    for problem in [namespace_problem(path, text)] if problem]
        self.assertEqual(problems, [])

    def test_the_architecture_page_shows_these_layers(self):
        table = re.findall(r"^\| (\d+) \| ([^|]+?) \| ([^|]+?) \|$", self.architecture, flags=re.M)
        shown = [(name.strip(), sorted(p.strip(" `") for p in packages.split(",")))
                 for _, name, packages in table]
        expected = [(name, sorted(packages)) for name, packages in layers.LAYERS]
        self.assertEqual(shown, expected, "docs/architecture.md's layer table")


class CheckerTest(unittest.TestCase):
    """The checks themselves catch what they are for."""

    def test_a_name_made_from_a_provider_is_caught(self):
        code = "void F(Step& s) {\n  s.set_imiconnect_transaction_id(id);  // why\n}\n"
        self.assertEqual(provider_names_in(code, ["imiconnect"]),
                         [(2, "s.set_imiconnect_transaction_id(id);")])
        self.assertTrue(provider_names_in("auto x = kSmsVoice;", ["sms_voice"]))
        self.assertTrue(provider_names_in("ImiconnectTransaction t;", ["imiconnect"]))
        self.assertEqual(provider_names_in("// imiconnect_x in a comment\n", ["imiconnect"]), [])
        self.assertEqual(provider_names_in("std::string provider_name;", ["imiconnect"]), [])

    def test_a_namespace_off_its_folder_is_caught(self):
        self.assertIsNone(namespace_problem("server/call/a.cc",
                                            "namespace linkgateway::server::call {\n"))
        self.assertIsNotNone(namespace_problem("server/call/a.cc",
                                               "namespace linkgateway::core {\n"))
        self.assertIsNone(namespace_problem("server/main.cc", "namespace {\n"))


def read(paths):
    out = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            out[path] = f.read()
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", nargs="+", default=[])
    parser.add_argument("--protos", nargs="+", default=[])
    parser.add_argument("--adapters_build", default="")
    parser.add_argument("--architecture", default="")
    args, rest = parser.parse_known_args()
    LayeringTest.sources = read(args.sources)
    LayeringTest.protos = read(args.protos)
    LayeringTest.providers = sorted({package_of(p).split("/")[1] for p in args.sources
                                     if p.startswith("adapters/") and p.endswith("/factory.cc")})
    with open(args.adapters_build, encoding="utf-8") as f:
        LayeringTest.adapters_build = f.read()
    with open(args.architecture, encoding="utf-8") as f:
        LayeringTest.architecture = f.read()
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
