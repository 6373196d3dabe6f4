"""The Kubernetes manifests say what the gateway needs and nothing weaker:
kustomize renders the base and the production overlay; the Deployment's
resources are sizing.py's (the benchmark's); the pod runs as a non-root
user on a read-only root with no capabilities; its grace period covers the
drain; its probes ask linkgateway-health at the port the configuration
listens on; every file the configuration names is mounted; the Service is
headless; the PodDisruptionBudget, NetworkPolicy and Service select the
pods; shared_state.replicas equals the replica count; the configuration
parses with the real gateway."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import yaml

RUNFILES = os.path.join(os.environ.get("TEST_SRCDIR", "."), os.environ.get("TEST_WORKSPACE", ""))
HERE = os.path.join(RUNFILES, "deploy", "kubernetes")
RESULTS = os.path.join(RUNFILES, "tests", "benchmarks", "results", "results.json")
GATEWAY = os.path.join(RUNFILES, "server", "gateway")
UNIT = os.path.join(RUNFILES, "deploy", "systemd", "linkgateway.service")

import importlib.util  # noqa: E402

_spec = importlib.util.spec_from_file_location("sizing", os.path.join(HERE, "sizing.py"))
sizing = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sizing)


def render(directory):
    """`kubectl kustomize` of a copy (kustomize does not follow the runfiles'
    symlinks to a kustomization)."""
    copy = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
    shutil.copytree(HERE, os.path.join(copy, "k"))
    done = subprocess.run(["kubectl", "kustomize", os.path.join(copy, "k", directory)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(done.stdout) if d}


def by_kind(documents, kind):
    return [d for (k, _), d in documents.items() if k == kind]


def config_text(documents):
    config_map = by_kind(documents, "ConfigMap")
    config_map = [c for c in config_map if "gateway.textproto" in c["data"]][0]
    return config_map["data"]["gateway.textproto"], config_map


class BaseTest(unittest.TestCase):
    overlay = "base"
    replicas = 3

    @classmethod
    def setUpClass(cls):
        cls.docs = render(cls.overlay)
        cls.deployment = cls.docs[("Deployment", "linkgateway")]
        cls.pod = cls.deployment["spec"]["template"]["spec"]
        cls.container = cls.pod["containers"][0]
        cls.config, cls.config_map = config_text(cls.docs)

    def test_replicas_and_shared_state_agree(self):
        self.assertEqual(self.deployment["spec"]["replicas"], self.replicas)
        block = re.search(r"\nshared_state \{\n.*?\n\}\n", self.config, re.S).group(0)
        self.assertEqual(int(re.search(r"replicas: (\d+)", block).group(1)), self.replicas)

    def test_resources_come_from_the_benchmark(self):
        with open(RESULTS) as f:
            expected, why = sizing.derive(json.load(f))
        self.assertEqual(self.container["resources"], expected,
                         "run python3 deploy/kubernetes/sizing.py and copy its figures:\n"
                         + "\n".join(why))
        with open(UNIT) as f:
            memory_max = re.search(r"^MemoryMax=(\d+)M$", f.read(), re.M).group(1)
        self.assertEqual(memory_max + "Mi", expected["limits"]["memory"])

    def test_least_privilege(self):
        pod, container = self.pod["securityContext"], self.container["securityContext"]
        self.assertTrue(pod["runAsNonRoot"])
        self.assertNotEqual(pod["runAsUser"], 0)
        self.assertTrue(container["readOnlyRootFilesystem"])
        self.assertFalse(container["allowPrivilegeEscalation"])
        self.assertEqual(container["capabilities"]["drop"], ["ALL"])
        self.assertNotIn("add", container["capabilities"])
        self.assertFalse(self.pod["automountServiceAccountToken"])

    def test_grace_period_covers_the_drain(self):
        drain = int(re.search(r"shutdown_grace_period \{ seconds: (\d+) \}", self.config).group(1))
        self.assertGreater(self.pod["terminationGracePeriodSeconds"], drain)

    def test_probes_ask_the_gateway_s_health_where_it_listens(self):
        port = int(re.search(r'listen_address: "[^"]*:(\d+)"', self.config).group(1))
        ports = {p["name"]: p["containerPort"] for p in self.container["ports"]}
        self.assertEqual(ports["grpc"], port)
        metrics = int(re.search(r'metrics_address: "[^"]*:(\d+)"', self.config).group(1))
        self.assertEqual(ports["metrics"], metrics)
        for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
            command = self.container[kind]["exec"]["command"]
            self.assertEqual(command[0], "/usr/local/bin/linkgateway-health", kind)
            self.assertIn(f"--address=127.0.0.1:{port}", command, kind)
            self.assertIn("--ca_file=/etc/linkgateway/tls/ca.crt", command, kind)

    def test_every_file_the_configuration_names_is_mounted(self):
        mounts = {m["mountPath"]: m for m in self.container["volumeMounts"]}
        volumes = {v["name"]: v for v in self.pod["volumes"]}
        for mount in mounts.values():
            self.assertIn(mount["name"], volumes)
        for path in re.findall(r'"(/[^"]+)"', self.config):
            directory = os.path.dirname(path)
            self.assertIn(directory, mounts, f"{path} is on no volume")
            volume = volumes[mounts[directory]["name"]]
            if "configMap" in volume:
                keys = [i["key"] for i in volume["configMap"]["items"]]
                self.assertIn(os.path.basename(path), keys)
                self.assertEqual(volume["configMap"]["name"], self.config_map["metadata"]["name"])
        args = " ".join(self.container["args"])
        config_path = re.search(r"--config=(\S+)", args).group(1)
        self.assertIn(os.path.dirname(config_path), mounts)

    def test_secrets_the_deployment_mounts_are_described(self):
        with open(os.path.join(HERE, "base", "secrets.example.yaml")) as f:
            examples = {d["metadata"]["name"]: d for d in yaml.safe_load_all(f)}
        for volume in self.pod["volumes"]:
            if "secret" in volume:
                self.assertIn(volume["secret"]["secretName"], examples)
        for path in re.findall(r'"/etc/linkgateway/(secrets|tls)/([^"]+)"', self.config):
            secret = {"secrets": "linkgateway-secrets", "tls": "linkgateway-tls"}[path[0]]
            self.assertIn(path[1], examples[secret]["stringData"], path)

    def test_service_is_headless_and_selectors_match(self):
        labels = self.deployment["spec"]["template"]["metadata"]["labels"]
        service = self.docs[("Service", "linkgateway")]
        self.assertEqual(service["spec"]["clusterIP"], "None")
        for selector in (service["spec"]["selector"],
                         self.docs[("PodDisruptionBudget", "linkgateway")]["spec"]["selector"][
                             "matchLabels"],
                         self.docs[("NetworkPolicy", "linkgateway")]["spec"]["podSelector"][
                             "matchLabels"],
                         self.deployment["spec"]["selector"]["matchLabels"]):
            self.assertLessEqual(selector.items(), labels.items())
        pdb = self.docs[("PodDisruptionBudget", "linkgateway")]
        self.assertLess(pdb["spec"]["minAvailable"], self.replicas)

    def test_the_configuration_parses(self):
        # The real gateway reads the file; it stops at the first file it
        # cannot open (a TLS or secret file that exists only in a pod), which
        # it can only reach once the text parsed and passed its checks.
        directory = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        path = os.path.join(directory, "gateway.textproto")
        with open(path, "w") as f:
            f.write(self.config)
        done = subprocess.run([GATEWAY, f"--config={path}"], capture_output=True, text=True,
                              timeout=60)
        output = done.stdout + done.stderr
        self.assertNotEqual(done.returncode, 0, output)
        self.assertRegex(output, r"/etc/linkgateway/(tls|secrets)/", output)
        self.assertNotIn("has no field named", output)


class ProductionTest(BaseTest):
    overlay = "overlays/production"
    replicas = 4

    def test_image_comes_from_the_registry(self):
        self.assertEqual(self.container["image"], "registry.example.com/linkgateway:0.6.0")
        for (kind, _), document in self.docs.items():
            self.assertEqual(document["metadata"].get("namespace"), "linkgateway", kind)


if __name__ == "__main__":
    unittest.main()
