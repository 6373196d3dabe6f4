"""The alert and recording rules pass promtool's checks and their unit tests
(promtool test rules), every alert has a test in which it fires, and the
Grafana dashboard is well formed: unique panel ids, panels that do not
overlap, every query on the dashboard's Prometheus data source."""

import json
import os
import subprocess
import unittest

import yaml

RUNFILES = os.path.join(os.environ.get("TEST_SRCDIR", "."), os.environ.get("TEST_WORKSPACE", ""))
HERE = os.path.join(RUNFILES, "deploy", "observability")
PROMETHEUS = os.path.join(HERE, "prometheus")
RULES = os.path.join(PROMETHEUS, "linkgateway.rules.yaml")
RULES_TEST = os.path.join(PROMETHEUS, "linkgateway.rules.test.yaml")
DASHBOARD = os.path.join(HERE, "grafana", "linkgateway.json")
PROMTOOL = "/usr/bin/promtool"


def promtool(*args):
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=120,
                          cwd=PROMETHEUS)


class RulesTest(unittest.TestCase):
    def test_promtool_checks_the_rules(self):
        done = promtool("check", "rules", RULES)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn("SUCCESS", done.stdout)

    def test_promtool_rule_tests_pass(self):
        done = promtool("test", "rules", RULES_TEST)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn("SUCCESS", done.stdout)

    def test_a_broken_expectation_fails(self):
        # promtool really compares: the same tests with one alert expected
        # where none fires must fail.
        with open(RULES_TEST) as f:
            tests = yaml.safe_load(f)
        tests["rule_files"] = [RULES]
        first = tests["tests"][0]["alert_rule_test"][0]
        first["exp_alerts"] = [{"exp_labels": {"severity": "critical"}}]
        broken = os.path.join(os.environ["TEST_TMPDIR"], "broken.test.yaml")
        with open(broken, "w") as f:
            yaml.safe_dump(tests, f)
        done = promtool("test", "rules", broken)
        self.assertNotEqual(done.returncode, 0, done.stdout)
        self.assertIn("FAILED", done.stdout + done.stderr)

    def test_every_alert_fires_in_a_test(self):
        with open(RULES) as f:
            rules = yaml.safe_load(f)
        with open(RULES_TEST) as f:
            tests = yaml.safe_load(f)
        alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]
                  if "alert" in rule}
        fired = {case["alertname"] for test in tests["tests"]
                 for case in test.get("alert_rule_test", []) if case.get("exp_alerts")}
        self.assertEqual(alerts - fired, set(), "alerts without a test in which they fire")
        for group in rules["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    self.assertIn(rule["labels"].get("severity"), {"critical", "warning", "info"},
                                  rule["alert"])
                    self.assertTrue(rule["annotations"].get("summary"), rule["alert"])


class DashboardTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(DASHBOARD) as f:
            cls.dashboard = json.load(f)

    def test_panel_ids_are_unique(self):
        ids = [p["id"] for p in self.dashboard["panels"]]
        self.assertEqual(len(ids), len(set(ids)))

    def test_panels_do_not_overlap_and_fit_the_grid(self):
        cells = {}
        for panel in self.dashboard["panels"]:
            g = panel["gridPos"]
            self.assertLessEqual(g["x"] + g["w"], 24, panel["title"])
            for x in range(g["x"], g["x"] + g["w"]):
                for y in range(g["y"], g["y"] + g["h"]):
                    self.assertNotIn((x, y), cells, f"{panel['title']} overlaps {cells.get((x, y))}")
                    cells[(x, y)] = panel["title"]

    def test_every_query_uses_the_datasource_variable(self):
        names = {v["name"] for v in self.dashboard["templating"]["list"]}
        self.assertLessEqual({"datasource", "instance", "provider"}, names)
        queries = 0
        for panel in self.dashboard["panels"]:
            if panel["type"] == "row":
                continue
            self.assertEqual(panel["datasource"]["uid"], "${datasource}", panel["title"])
            self.assertTrue(panel["targets"], panel["title"])
            for target in panel["targets"]:
                self.assertEqual(target["datasource"]["uid"], "${datasource}", panel["title"])
                self.assertIn("$instance", target["expr"], panel["title"])
                queries += 1
        self.assertGreater(queries, 20)

    def test_the_issue_s_panels_are_there(self):
        titles = " | ".join(p["title"].lower() for p in self.dashboard["panels"])
        for words in ("calls per second by provider", "error", "latency", "rate-limit wait",
                      "steps in flight and waiting", "oldest waiting step"):
            self.assertIn(words, titles)


if __name__ == "__main__":
    unittest.main()
