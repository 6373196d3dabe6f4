"""No provider-specific name in the vendor-neutral layers, config or server.

Providers are the folders adapters/<provider>/ holding a factory.cc. For each,
its folder name (dash_replenishment), its CamelCase form (DashReplenishment)
and its oneof case constant (kDashReplenishment) must not appear in the code
of the core layers, config or server: only in comments, which may use a
provider as an example.
"""

import argparse
import os
import re
import sys
import unittest


def camel(name):
    return "".join(part.capitalize() for part in name.split("_"))


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


class LayeringTest(unittest.TestCase):
    providers = []
    core = []

    def test_every_provider_folder_has_a_factory(self):
        self.assertEqual(len(self.providers), 4, self.providers)

    def test_core_and_server_name_no_provider(self):
        names = set()
        for provider in self.providers:
            names |= {provider, camel(provider), "k" + camel(provider)}
        pattern = re.compile(r"\b(" + "|".join(sorted(names)) + r")\b")
        offenders = []
        for path in self.core:
            with open(path, encoding="utf-8") as f:
                code = strip_comments(f.read())
            for line_no, line in enumerate(code.splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{path}:{line_no}: {line.strip()}")
        self.assertGreater(len(self.core), 40, "the core's sources were not found")
        self.assertEqual(offenders, [], "provider names outside their folders")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--providers", nargs="+", default=[])
    parser.add_argument("--core", nargs="+", default=[])
    args, rest = parser.parse_known_args()
    LayeringTest.providers = sorted({os.path.basename(os.path.dirname(p))
                                     for p in args.providers
                                     if os.path.basename(p) == "factory.cc"})
    LayeringTest.core = args.core
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
