"""Every metric the alert rules and the Grafana dashboard query is one the real
gateway exports: the gateway binary runs with shared state (a real
redis-server) and its metrics endpoint, and its /metrics is scraped.

Metrics the rules and the dashboard use before the gateway has them are
listed in PENDING with the issue that adds them; the test fails when one of
them appears in /metrics (take it off the list) or is no longer used."""

import json
import os
import re
import socket
import subprocess
import tempfile
import threading
import unittest
import urllib.request

import yaml

RUNFILES = os.path.join(os.environ.get("TEST_SRCDIR", "."), os.environ.get("TEST_WORKSPACE", ""))
GATEWAY = os.path.join(RUNFILES, "server", "gateway")
HERE = os.path.join(RUNFILES, "deploy", "observability")
RULES = os.path.join(HERE, "prometheus", "linkgateway.rules.yaml")
DASHBOARD = os.path.join(HERE, "grafana", "linkgateway.json")

# Proposed names, not exported by the gateway yet, that a rule or a panel may
# use so the kit is ready when they land; none may hide a typo. None today.
PENDING = set()

# A metric name, not part of a recording rule's level:metric:operations name.
NAME = re.compile(r"(?<![\w:])linkgateway_[A-Za-z0-9_]*(?![\w:])")
NAME_REGEX = re.compile(r'__name__\s*=~\s*"([^"]*)"')
SUFFIXES = ("_bucket", "_sum", "_count")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def names_in(expr):
    """The linkgateway metric names a PromQL expression reads, with
    {__name__=~"linkgateway_(a|b)_total"} spelled out as each alternative."""
    names = set()
    for pattern in NAME_REGEX.findall(expr):
        group = re.fullmatch(r"(linkgateway_[A-Za-z0-9_]*)\(([A-Za-z0-9_|]+)\)([A-Za-z0-9_]*)",
                             pattern)
        if group is None:
            raise AssertionError(f"cannot expand __name__ pattern {pattern!r} in {expr!r}")
        names |= {group.group(1) + a + group.group(3) for a in group.group(2).split("|")}
    expr = NAME_REGEX.sub("", expr)
    names |= {n for n in NAME.findall(expr) if n != "linkgateway_"}
    return names


def family(name):
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)], suffix
    return name, ""


class GatewayWithSharedState:
    """redis-server and the gateway, both on free loopback ports."""

    def __init__(self, directory):
        self.redis = subprocess.Popen(
            ["/usr/bin/redis-server", "--port", str(free_port()), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", directory],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        redis_port = None
        for line in self.redis.stdout:
            if "Ready to accept connections" in line:
                redis_port = self.redis.args[2]
                break
        assert redis_port, "redis-server did not start"
        # A token file and a policy file, so their gauges are exported too
        # (the token's digest is never matched: no call is made).
        tokens = os.path.join(directory, "tokens.txt")
        with open(os.open(tokens, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write("prometheus-kit " + "00" * 16 + " " + "00" * 32 + "\n")
        policy = os.path.join(directory, "policy.json")
        with open(os.open(policy, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write('{"name": "kit", "allow_rules": [{"name": "everyone"}]}\n')
        config = os.path.join(directory, "gateway.textproto")
        with open(config, "w") as f:
            f.write(f'''listen_address: "127.0.0.1:0"
security {{
  plaintext: true
  authentication {{ token_file: "{tokens}" }}
  policy_file: "{policy}"
  audit {{ path: "{directory}/audit.jsonl" }}
}}
observability {{ metrics_address: "127.0.0.1:0" }}
shared_state {{ address: "127.0.0.1:{redis_port}" replicas: 3 }}
unlink {{ state_directory: "{directory}" }}
''')
        self.gateway = subprocess.Popen([GATEWAY, f"--config={config}"], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.output, self.metrics_url = [], None
        for line in self.gateway.stdout:
            self.output.append(line)
            found = re.search(r"metrics on (http://127\.0\.0\.1:\d+/metrics)", line)
            if found:
                self.metrics_url = found.group(1)
            if "listening on" in line:
                break
        assert self.metrics_url, "the gateway did not serve metrics:\n" + "".join(self.output)
        threading.Thread(target=lambda: [self.output.append(l) for l in self.gateway.stdout],
                         daemon=True).start()

    def scrape(self):
        with urllib.request.urlopen(self.metrics_url, timeout=10) as answer:
            return answer.read().decode()

    def stop(self):
        for process in (self.gateway, self.redis):
            process.terminate()
            process.wait(timeout=30)


class MetricsExistTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.directory = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        server = GatewayWithSharedState(cls.directory)
        try:
            cls.exposition = server.scrape()
        finally:
            server.stop()
        cls.families = {}  # name -> type
        for line in cls.exposition.splitlines():
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split(" ", 3)
                cls.families[name] = kind
        with open(RULES) as f:
            cls.rules = yaml.safe_load(f)
        with open(DASHBOARD) as f:
            cls.dashboard = json.load(f)

    def rule_exprs(self):
        for group in self.rules["groups"]:
            for rule in group["rules"]:
                yield rule.get("alert") or rule["record"], rule["expr"]

    def dashboard_exprs(self):
        for panel in self.dashboard["panels"]:
            for target in panel.get("targets", []):
                yield panel["title"], target["expr"]
        for variable in self.dashboard["templating"]["list"]:
            if isinstance(variable.get("query"), dict):
                yield "variable " + variable["name"], variable["query"]["query"]

    def check(self, where, expr, used):
        for name in names_in(expr):
            base, suffix = family(name)
            used.add(base)
            if base in PENDING:
                continue
            self.assertIn(base, self.families,
                          f"{where}: {name} is not in the gateway's /metrics")
            if suffix:
                self.assertEqual(self.families[base], "histogram",
                                 f"{where}: {name} needs {base} to be a histogram")

    def test_the_gateway_exports_the_families_it_documents(self):
        # The scrape itself is real: the always-present families are there.
        for name in ("linkgateway_rpcs_total", "linkgateway_build_info",
                     "linkgateway_shared_state_connected", "linkgateway_token_file_usable",
                     "linkgateway_policy_file_usable"):
            self.assertIn(name, self.families)

    def test_every_metric_the_rules_read_exists(self):
        used = set()
        for name, expr in self.rule_exprs():
            self.check(f"rule {name}", expr, used)
        self.assertGreater(len(used), 10)

    def test_every_metric_the_dashboard_queries_exists(self):
        used = set()
        for title, expr in self.dashboard_exprs():
            self.check(f"panel {title!r}", expr, used)
        self.assertGreater(len(used), 10)

    def test_recording_rules_used_by_alerts_are_defined(self):
        recorded = {rule["record"] for group in self.rules["groups"] for rule in group["rules"]
                    if "record" in rule}
        for name, expr in self.rule_exprs():
            for used in re.findall(r"\b[a-z_]+:linkgateway_[a-z_]+:[a-z0-9_]+\b", expr):
                self.assertIn(used, recorded, f"rule {name} reads undefined {used}")

    def test_pending_names_are_still_missing_and_still_used(self):
        used = set()
        for _, expr in list(self.rule_exprs()) + list(self.dashboard_exprs()):
            used |= {family(n)[0] for n in names_in(expr)}
        for name in sorted(PENDING):
            self.assertNotIn(name, self.families,
                             f"{name} is exported now: take it off PENDING")
            self.assertIn(name, used, f"{name} is in PENDING but nothing uses it")

    def test_names_in_expands_name_patterns(self):
        self.assertEqual(
            names_in('rate({__name__=~"linkgateway_upstream_(requests|failures)_total"}[5m])'
                     ' / linkgateway_x_bucket'),
            {"linkgateway_upstream_requests_total", "linkgateway_upstream_failures_total",
             "linkgateway_x_bucket"})
        self.assertEqual(names_in("provider:linkgateway_upstream_errors:rate5m > 0"), set())


if __name__ == "__main__":
    unittest.main()
