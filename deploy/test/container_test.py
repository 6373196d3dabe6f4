"""The linkgateway image, run for real (docs/deployment.md; deploy/test/run.sh
builds the image and runs this):

  run:  podman run of the image (read-only root, no capabilities, user 10001,
        volumes for the job store and the audit trail) against the SMS and
        Voice HTTPS emulator: health, one delete, metrics, the audit record
        on its volume, a clean stop within the grace period.
  kube: podman kube play of deploy/kubernetes/base rendered by kustomize and
        adapted where podman 4.3 differs from Kubernetes (adapt() says
        where), with 3 replicas, Redis in a pod and PostgreSQL: deletes by
        round robin over the replicas, one pod killed mid-run, deletes go on.

Every container, pod, volume and image it makes is named linkgateway-test-*
and removed at the end. Needs root, podman with runc, and redis-server,
PostgreSQL 15 and mmdebstrap from Debian. Addresses: 127.0.0.1 only.
"""

import argparse
import importlib.util
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid

import grpc
import yaml

from linkgateway.v1 import registrations_pb2, registrations_pb2_grpc

RUNFILES = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EMULATORS = os.path.join(RUNFILES, "tests", "emulators")
KUBERNETES = os.path.join(RUNFILES, "deploy", "kubernetes")
PROBE = os.path.join(RUNFILES, "deploy", "health_probe", "linkgateway-health")
PYTHON = "/usr/bin/python3"
PREFIX = "linkgateway-test-"
UID = 10001
AWS_KEY_ID, AWS_SECRET = "AKIDLINKGATEWAYIMAGE1", "image-test-aws-secret-access-key"
TOKEN = "image-test-token-" + uuid.uuid4().hex
GRACE_S = 15  # terminationGracePeriodSeconds in deploy/kubernetes/base/deployment.yaml


def load_run_gateway():
    """tests/emulators/run_gateway.py: its CA, certificates, token lines and
    emulator start-up, shared with `bazel run //:gateway`."""
    spec = importlib.util.spec_from_file_location(
        "run_gateway", os.path.join(EMULATORS, "run_gateway.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run_gateway = load_run_gateway()


def log(phase, text):
    print(f"{phase}: {text}", flush=True)


def sh(*argv, check=True, timeout=120, **kwargs):
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} failed ({done.returncode}):\n"
                             f"{done.stdout}{done.stderr}")
    return done


def podman(*args, **kwargs):
    return sh("podman", "--runtime", "runc", *args, **kwargs)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what, condition, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Fixture:
    """A test CA, a certificate for the gateway (linkgateway, 127.0.0.1),
    the SMS and Voice emulator, and the secret files a gateway reads."""

    def __init__(self, directory):
        self.directory = directory
        self.ca, cert, key = run_gateway.make_certificates(directory)
        self.cert, self.key = self.gateway_certificate()
        self.sms, port = run_gateway.start([
            PYTHON, "-u", os.path.join(EMULATORS, "sms_voice_emulator.py"), "--cert", cert,
            "--key", key, "--region", "us-east-1", "--key-id", AWS_KEY_ID, "--secret", AWS_SECRET])
        self.sms_url = f"https://127.0.0.1:{port}"
        self.children = [self.sms]

    def gateway_certificate(self):
        d = self.directory
        ext = os.path.join(d, "gateway.ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=DNS:linkgateway,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                    "extendedKeyUsage=serverAuth\n")
        key, csr, cert = (os.path.join(d, n) for n in ("gateway.key", "gateway.csr", "gateway.pem"))
        sh("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-keyout", key, "-out", csr, "-subj", "/CN=linkgateway")
        sh("openssl", "x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey",
           os.path.join(d, "ca.key"), "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext)
        return cert, key

    def seed(self, registration_ids):
        for rid in registration_ids:
            run_gateway.control(self.sms_url, self.ca, "registrations", {"RegistrationId": rid})

    def deletes_sent(self):
        """How many DeleteRegistration requests reached the emulator, per id."""
        request = urllib.request.Request(f"{self.sms_url}/__emulator/requests", data=b"{}",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=20,
                                    context=ssl.create_default_context(cafile=self.ca)) as r:
            records = json.load(r)
        sent = {}
        for record in records:
            try:
                rid = json.loads(record.get("body") or "{}").get("RegistrationId")
            except ValueError:
                continue
            if rid:
                sent[rid] = sent.get(rid, 0) + 1
        return sent

    def secrets_dir(self, name, files):
        """A directory of secret files readable by the gateway's user only
        (what a Secret volume with fsGroup gives in Kubernetes)."""
        path = os.path.join(self.directory, name)
        os.makedirs(path)
        for file, text in files.items():
            with open(os.path.join(path, file), "w") as f:
                f.write(text)
            os.chown(os.path.join(path, file), UID, UID)
            os.chmod(os.path.join(path, file), 0o400)
        os.chmod(path, 0o755)
        return path

    def tls_dir(self):
        return self.secrets_dir("tls-" + uuid.uuid4().hex[:6], {
            "tls.crt": open(self.cert).read(), "tls.key": open(self.key).read(),
            "ca.crt": open(self.ca).read()})

    def common_secrets(self):
        return {
            "tokens.txt": run_gateway.token_line("image-test-caller", TOKEN),
            "aws-credentials": f"[default]\naws_access_key_id = {AWS_KEY_ID}\n"
                               f"aws_secret_access_key = {AWS_SECRET}\n",
        }

    def stop(self):
        for child in self.children:
            child.terminate()
            child.wait(timeout=30)


def channel_to(targets, ca):
    """A TLS channel to the gateway(s), round robin when there are several."""
    options = [("grpc.ssl_target_name_override", "linkgateway"),
               ("grpc.service_config", json.dumps({
                   "loadBalancingConfig": [{"round_robin": {}}],
                   # The clients' rule (README "Running several replicas"):
                   # UNAVAILABLE is retried with the same request_id.
                   "methodConfig": [{"name": [{"service": "linkgateway.v1.RegistrationService"}],
                                     "retryPolicy": {"maxAttempts": 4, "initialBackoff": "0.1s",
                                                     "maxBackoff": "1s", "backoffMultiplier": 2,
                                                     "retryableStatusCodes": ["UNAVAILABLE"]}}]}))]
    target = targets[0] if len(targets) == 1 else "ipv4:" + ",".join(targets)
    with open(ca, "rb") as f:
        credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
    return grpc.secure_channel(target, credentials, options=options)


def delete(stub, registration_id, timeout=10):
    request = registrations_pb2.DeleteRegistrationRequest(request_id=str(uuid.uuid4()))
    request.sms_voice.registration_id = registration_id
    return stub.DeleteRegistration(request, timeout=timeout,
                                   metadata=[("authorization", f"Bearer {TOKEN}")])


def delete_until_known(stub, registration_id, budget=40):
    """One delete as the project's clients make it: one request_id, retried
    on UNAVAILABLE (by the channel) and on ABORTED (a replica that died
    mid-call still holds the id's claim until the call's deadline) until
    the outcome is known. Returns "ok", "already_gone" (NOT_FOUND after a
    retry: the dead replica's send had deleted it) or raises."""
    request = registrations_pb2.DeleteRegistrationRequest(request_id=str(uuid.uuid4()))
    request.sms_voice.registration_id = registration_id
    give_up = time.monotonic() + budget
    retried = False
    while True:
        try:
            stub.DeleteRegistration(request, timeout=10,
                                    metadata=[("authorization", f"Bearer {TOKEN}")])
            return "ok_after_retry" if retried else "ok"
        except grpc.RpcError as e:
            code = e.code()
            if code == grpc.StatusCode.NOT_FOUND and retried:
                return "already_gone"
            if code in (grpc.StatusCode.ABORTED, grpc.StatusCode.UNAVAILABLE) and \
                    time.monotonic() + 1 < give_up:
                retried = True
                time.sleep(1 if code == grpc.StatusCode.ABORTED else 0.1)
                continue
            raise


def probe(address, ca, timeout="200ms"):
    return subprocess.run([PROBE, f"--address={address}", f"--ca_file={ca}",
                           "--server_name=linkgateway", f"--timeout={timeout}"],
                          capture_output=True, text=True, timeout=30)


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        return r.read().decode()


def gateway_config(fixture, grpc_port, metrics_port, extra=""):
    """The base's configuration (deploy/kubernetes/base/gateway.textproto) with
    this machine's addresses: loopback ports, the emulator as the SMS and
    Voice endpoint, the test CA for upstream TLS, and only the providers the
    emulator plays."""
    with open(os.path.join(KUBERNETES, "base", "gateway.textproto")) as f:
        text = f.read()
    text = text.replace('"0.0.0.0:50051"', f'"127.0.0.1:{grpc_port}"')
    text = text.replace('"0.0.0.0:9464"', f'"127.0.0.1:{metrics_port}"')
    text = re.sub(r"\nlogin_with_amazon \{.*", "", text, flags=re.S)  # providers follow
    text = re.sub(r'  policy_file: "[^"]*"\n', "", text)
    return text + f'''sms_voice {{
  region: "us-east-1"
  endpoint: "{fixture.sms_url}"
  credentials {{ file {{ path: "/etc/linkgateway/secrets/aws-credentials" }} }}
}}
upstream {{ ca_bundle_file: "/etc/linkgateway/tls/ca.crt" }}
{extra}'''


# ---------------------------------------------------------------- podman run

def run_phase(image, fixture):
    phase = "run"
    name = f"{PREFIX}run-{os.getpid()}"
    volumes = [f"{PREFIX}state-{os.getpid()}", f"{PREFIX}audit-{os.getpid()}"]
    grpc_port, metrics_port = free_port(), free_port()
    config = gateway_config(fixture, grpc_port, metrics_port)
    # One gateway: no Redis, the unlink job store in SQLite on its volume.
    config = re.sub(r"\nshared_state \{.*?\n\}\n", "\n", config, flags=re.S)
    config = re.sub(r"\nunlink \{.*?\n\}\n", '\nunlink { state_directory: "/var/lib/linkgateway" }\n',
                    config, flags=re.S)
    config_dir = fixture.secrets_dir("run-config", {"gateway.textproto": config})
    secrets = fixture.secrets_dir("run-secrets", fixture.common_secrets())
    tls = fixture.tls_dir()
    fixture.seed(["image-run-1"])
    health = ["/usr/local/bin/linkgateway-health", f"--address=127.0.0.1:{grpc_port}",
              "--ca_file=/etc/linkgateway/tls/ca.crt", "--server_name=linkgateway"]
    try:
        for volume in volumes:
            podman("volume", "create", volume)
        start = time.monotonic()
        podman("run", "--detach", "--name", name, "--network=host", "--read-only",
               "--cap-drop=ALL", "--security-opt=no-new-privileges",
               "--tmpfs=/tmp:rw,size=16m,mode=1777",
               "-v", f"{volumes[0]}:/var/lib/linkgateway",
               "-v", f"{volumes[1]}:/var/log/linkgateway/audit",
               "-v", f"{config_dir}:/etc/linkgateway/config:ro",
               "-v", f"{secrets}:/etc/linkgateway/secrets:ro",
               "-v", f"{tls}:/etc/linkgateway/tls:ro",
               "--health-cmd", json.dumps(health), "--health-interval=disable",
               "--stop-timeout", str(GRACE_S),
               image, "--config=/etc/linkgateway/config/gateway.textproto")
        address = f"127.0.0.1:{grpc_port}"
        wait_until("SERVING", lambda: probe(address, fixture.ca).returncode == 0, 60)
        log(phase, f"cold start to SERVING: {(time.monotonic() - start) * 1000:.0f} ms "
                   "(podman run until linkgateway-health answers SERVING)")
        inspect = json.loads(podman("inspect", name).stdout)[0]
        assert inspect["HostConfig"]["ReadonlyRootfs"], "root file system is writable"
        assert inspect["Config"]["User"] == "10001:10001", inspect["Config"]["User"]
        assert inspect["EffectiveCaps"] in (None, []), inspect["EffectiveCaps"]
        log(phase, "user 10001:10001, read-only root file system, no capabilities")

        check = podman("healthcheck", "run", name, check=False)
        assert check.returncode == 0, check.stdout + check.stderr
        log(phase, "podman healthcheck run (linkgateway-health in the container): healthy")

        stub = registrations_pb2_grpc.RegistrationServiceStub(channel_to([address], fixture.ca))
        answer = delete(stub, "image-run-1")
        assert answer.sms_voice.registration_status_name == "DELETED", answer
        log(phase, "DeleteRegistration image-run-1 through the container: "
                   f"{answer.sms_voice.registration_status_name}")

        metrics = scrape(metrics_port)
        series = ('linkgateway_rpcs_total{grpc_service="linkgateway.v1.RegistrationService",'
                  'grpc_method="DeleteRegistration",provider="sms_voice",grpc_code="OK",'
                  'account="default"} 1')
        assert series in metrics, metrics
        checked = subprocess.run(["promtool", "check", "metrics"], input=metrics,
                                 capture_output=True, text=True, timeout=60)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        log(phase, f"metrics: {series}; promtool check metrics: ok")

        mount = podman("volume", "inspect", "--format", "{{.Mountpoint}}", volumes[1]).stdout.strip()
        with open(os.path.join(mount, "audit.jsonl")) as f:
            records = [json.loads(line) for line in f]
        assert [r["outcome"]["code"] for r in records] == ["OK"], records
        log(phase, f"audit trail on its volume: {len(records)} record, outcome OK, "
                   f"principal {records[0]['caller']['principal']}")
        state = podman("volume", "inspect", "--format", "{{.Mountpoint}}", volumes[0]).stdout.strip()
        assert os.path.exists(os.path.join(state, "unlink-jobs.sqlite3")), os.listdir(state)

        start = time.monotonic()
        podman("stop", "--time", str(GRACE_S), name, timeout=GRACE_S + 30)
        took = time.monotonic() - start
        exit_code = json.loads(podman("inspect", name).stdout)[0]["State"]["ExitCode"]
        output = podman("logs", name).stderr + podman("logs", name).stdout
        assert exit_code == 0 and "stopped" in output, (exit_code, output[-2000:])
        assert took < GRACE_S, took
        log(phase, f"podman stop (SIGTERM): exit code 0 after {took:.2f} s "
                   f"(grace period {GRACE_S} s); the gateway's last lines:")
        for line in podman("logs", "--timestamps", name).stderr.splitlines()[-3:]:
            log(phase, "  " + line)
    finally:
        podman("rm", "--force", "--time", "0", name, check=False)
        for volume in volumes:
            podman("volume", "rm", "--force", volume, check=False)


# ---------------------------------------------------------------- kube play

def redis_image():
    """A Redis image from Debian's redis-server package (mmdebstrap, no
    registry), standing in for the redis:7.0 the manifests name."""
    tag = f"localhost/{PREFIX}redis:bookworm"
    if podman("image", "exists", tag, check=False).returncode == 0:
        return tag
    with tempfile.TemporaryDirectory(prefix=PREFIX) as d:
        excludes = [f"--dpkgopt=path-exclude={p}/*" for p in
                    ("/usr/share/doc", "/usr/share/man", "/usr/share/locale")]
        sh("mmdebstrap", "--variant=extract", "--include=redis-server", *excludes,
           "bookworm", os.path.join(d, "redis.tar"), timeout=600)
        podman("import", "--quiet", "--change", "USER=10002:10002", "--change",
               "ENV=PATH=/usr/sbin:/usr/bin:/sbin:/bin", os.path.join(d, "redis.tar"), tag)
    return tag


def start_postgres(directory):
    """PostgreSQL 15 on a free loopback port, a database for the job store."""
    bin_dir = "/usr/lib/postgresql/15/bin"
    data = os.path.join(directory, "pg")
    os.makedirs(data)
    shutil.chown(data, "postgres", "postgres")
    as_postgres = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]
    sh(*as_postgres, f"{bin_dir}/initdb", "-D", data, "-U", "postgres", "--auth=trust",
       "-E", "UTF8")
    port = free_port()
    process = subprocess.Popen(as_postgres + [f"{bin_dir}/postgres", "-D", data, "-h", "127.0.0.1",
                                              "-p", str(port), "-k", data],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in process.stdout:
        if "ready to accept connections" in line:
            break
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
    return process, f"host=127.0.0.1 port={port} dbname=postgres user=postgres"


def host_path(volume, path):
    """A Secret volume as the directory holding its files (podman 4.3.1
    crashes on secret volumes)."""
    name = volume["name"]
    volume.clear()
    volume.update(name=name, hostPath={"path": path, "type": "Directory"})


def adapt(documents, replicas, ports, image, secret_dirs, config_for):
    """deploy/kubernetes/base (as kustomize renders it) for podman 4.3's
    kube play on one machine. Each difference is a podman limit or this
    machine's rule, not a change of the manifests' meaning:

    1. Deployment with N replicas -> N Pods: kube play runs a Deployment as
       one pod, and each replica needs its own ports here (2).
    2. hostNetwork and loopback ports: tests use 127.0.0.1 only, so there is
       no pod network; each replica's ConfigMap gets its own gRPC and
       metrics ports (containerPort mappings are refused with the host's
       network, so they are left out), and the client's address list stands
       in for the headless Service's DNS answer.
    3. Secret volumes -> hostPath directories holding the same keys: podman
       4.3.1 crashes on secret volumes (nil dereference in VolumeFromSecret).
    4. subPathExpr $(POD_NAME) -> one audit claim per pod: kube play does
       not expand it.
    5. terminationGracePeriodSeconds is not applied (podman's stop timeout
       stays 10 s): the test stops pods with the grace period itself.
    6. Probes: kube play ignores readiness and startup probes, and turns the
       liveness probe into a CMD-SHELL health check ("... || exit 1"), which
       needs a shell the image does not have, and systemd timers: the test
       runs each probe's exec command itself with podman exec, as the
       kubelet would.
    7. Service, PodDisruptionBudget, NetworkPolicy, ServiceAccount are not
       podman objects: left out (manifests_test checks them).
    8. Images: the gateway image under test; redis:7.0 -> a Redis image made
       from Debian's package; Redis's address -> its loopback port.
    """
    by_kind = {}
    for document in documents:
        by_kind.setdefault(document["kind"], []).append(document)
    deployment = by_kind["Deployment"][0]
    assert deployment["spec"]["replicas"] == replicas, deployment["spec"]["replicas"]
    config_map = by_kind["ConfigMap"][0]
    out = []
    for i in range(replicas):
        spec = json.loads(json.dumps(deployment["spec"]["template"]["spec"]))
        spec["hostNetwork"] = True
        container = spec["containers"][0]
        container["image"] = image
        container.pop("ports")  # podman refuses port mappings with the host's network
        for probe_kind in ("startupProbe", "readinessProbe", "livenessProbe"):
            command = container[probe_kind]["exec"]["command"]
            container[probe_kind]["exec"]["command"] = [
                c.replace("127.0.0.1:50051", f"127.0.0.1:{ports[i][0]}") for c in command]
        cm_name = f"{config_map['metadata']['name']}-{i}"
        cm = json.loads(json.dumps(config_map))
        cm["metadata"]["name"] = cm_name
        cm["data"]["gateway.textproto"] = config_for(i)
        out.append(cm)
        for volume in spec["volumes"]:
            if "configMap" in volume:
                volume["configMap"]["name"] = cm_name
            if "secret" in volume:
                host_path(volume, secret_dirs[volume["secret"]["secretName"]])
            if "persistentVolumeClaim" in volume:
                volume["persistentVolumeClaim"]["claimName"] = f"{PREFIX}audit-{i}"
            if "emptyDir" in volume:  # kube play names the volume after it
                volume["name"] = f"{PREFIX}tmp-{i}"
        for mount in container["volumeMounts"]:
            mount.pop("subPathExpr", None)
            if mount["name"] == "tmp":
                mount["name"] = f"{PREFIX}tmp-{i}"
        out.append({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": f"{PREFIX}gw-{i}",
                                 "labels": deployment["spec"]["template"]["metadata"]["labels"]},
                    "spec": spec})
    return out


def redis_pod(redis_tag, redis_port, redis_conf_dir):
    """deploy/kubernetes/redis/redis.yaml's pod, adapted like adapt()."""
    with open(os.path.join(KUBERNETES, "redis", "redis.yaml")) as f:
        deployment = next(d for d in yaml.safe_load_all(f) if d["kind"] == "Deployment")
    spec = deployment["spec"]["template"]["spec"]
    spec["hostNetwork"] = True
    container = spec["containers"][0]
    container["image"] = redis_tag
    container.pop("ports")
    container["args"] = [a.replace("6379", str(redis_port)) for a in container["args"]]
    container["args"] += ["--bind", "127.0.0.1"]
    container["readinessProbe"]["tcpSocket"]["port"] = redis_port
    for volume in spec["volumes"]:
        if "secret" in volume:
            host_path(volume, redis_conf_dir)
        if "persistentVolumeClaim" in volume:
            volume["persistentVolumeClaim"]["claimName"] = f"{PREFIX}redis-data"
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"{PREFIX}redis", "labels": {"app": "redis"}}, "spec": spec}


def kube_phase(image, fixture, seconds, kill_after):
    phase = "kube"
    replicas = 3
    directory = fixture.directory
    # kustomize does not read a kustomization through a symlink (runfiles).
    manifests = os.path.join(directory, "kubernetes")
    shutil.copytree(KUBERNETES, manifests)
    rendered = sh("kubectl", "kustomize", os.path.join(manifests, "base")).stdout
    documents = [d for d in yaml.safe_load_all(rendered) if d]
    postgres, postgres_dsn = start_postgres(directory)
    fixture.children.append(postgres)
    redis_tag = redis_image()
    redis_port = free_port()
    redis_password = uuid.uuid4().hex
    secrets = fixture.common_secrets()
    secrets.update({"redis-password": redis_password, "postgres": postgres_dsn})
    secret_dirs = {"linkgateway-secrets": fixture.secrets_dir("kube-secrets", secrets),
                   "linkgateway-tls": fixture.tls_dir()}
    redis_conf = fixture.secrets_dir("kube-redis", {"redis.conf": f"requirepass {redis_password}\n"})
    os.chown(os.path.join(redis_conf, "redis.conf"), 10002, 10002)
    ports = [(free_port(), free_port()) for _ in range(replicas)]

    def config_for(i):
        text = gateway_config(fixture, *ports[i])
        return text.replace('"linkgateway-redis:6379"', f'"127.0.0.1:{redis_port}"')

    pods = adapt(documents, replicas, ports, image, secret_dirs, config_for)
    manifest = os.path.join(directory, "kube.yaml")
    with open(manifest, "w") as f:
        yaml.safe_dump_all([redis_pod(redis_tag, redis_port, redis_conf)] + pods, f)
    registrations = [f"image-kube-{i}" for i in range(4000)]
    fixture.seed(registrations)
    try:
        # fsGroup is not applied by kube play: the claims' volumes are made
        # here, owned by the users that write them.
        for volume, owner in [(f"{PREFIX}audit-{i}", UID) for i in range(replicas)] + [
                (f"{PREFIX}redis-data", 10002)]:
            podman("volume", "create", volume)
            mount = podman("volume", "inspect", "--format", "{{.Mountpoint}}", volume).stdout
            os.chown(mount.strip(), owner, owner)
        start = time.monotonic()
        podman("kube", "play", manifest, timeout=300)
        addresses = [f"127.0.0.1:{p[0]}" for p in ports]
        for address in addresses:
            wait_until(f"{address} SERVING", lambda: probe(address, fixture.ca).returncode == 0, 90)
        log(phase, f"podman kube play: Redis and {replicas} gateway pods, all SERVING after "
                   f"{time.monotonic() - start:.1f} s")
        gateway_pods = [p for p in pods if p["kind"] == "Pod"]
        for i, pod in enumerate(gateway_pods):
            container = pod["spec"]["containers"][0]
            for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
                command = container[kind]["exec"]["command"]
                check = podman("exec", f"{PREFIX}gw-{i}-gateway", *command, check=False)
                assert check.returncode == 0, (kind, check.stdout + check.stderr)
        log(phase, "startup, readiness and liveness probes (their exec commands, run with "
                   "podman exec as the kubelet would): SERVING on each pod")
        metrics = [scrape(p[1]) for p in ports]
        assert all("linkgateway_shared_state_connected 1" in m for m in metrics), \
            [re.findall(r"linkgateway_shared_state_connected.*", m) for m in metrics]
        log(phase, "every replica: linkgateway_shared_state_connected 1 (Redis pod)")

        stub = registrations_pb2_grpc.RegistrationServiceStub(channel_to(addresses, fixture.ca))
        results = {k: 0 for k in ("ok", "ok_after_retry", "already_gone", "failed")}
        after_kill = dict(results)
        failures = []
        lock = threading.Lock()
        queue = iter(registrations)
        killed_at = [None]
        stop_at = time.monotonic() + seconds

        def worker():
            while time.monotonic() < stop_at:
                with lock:
                    rid = next(queue, None)
                if rid is None:
                    return
                try:
                    outcome = delete_until_known(stub, rid)
                except grpc.RpcError as e:
                    outcome = "failed"
                    failures.append(f"{rid}: {e.code().name}: {e.details()}")
                with lock:
                    results[outcome] += 1
                    if killed_at[0] is not None:
                        after_kill[outcome] += 1

        workers = [threading.Thread(target=worker) for _ in range(8)]
        for w in workers:
            w.start()
        time.sleep(kill_after)
        podman("pod", "kill", "--signal", "KILL", f"{PREFIX}gw-1")
        killed_at[0] = time.monotonic()
        log(phase, f"killed pod {PREFIX}gw-1 (SIGKILL) after {kill_after} s")
        for w in workers:
            w.join()
        per_replica = []
        for i, (_, metrics_port) in enumerate(ports):
            if i == 1:
                per_replica.append("killed")
                continue
            found = re.search(r'linkgateway_rpcs_total\{grpc_service="linkgateway.v1.'
                              r'RegistrationService",grpc_method="DeleteRegistration",'
                              r'provider="sms_voice",grpc_code="OK",account="default"\} (\d+)',
                              scrape(metrics_port))
            per_replica.append(found.group(1) if found else "0")
        sent = fixture.deletes_sent()
        twice = sorted(rid for rid, n in sent.items() if n > 1 and rid.startswith("image-kube-"))
        def summary(counts):
            return (f"{counts['ok']} OK at once, {counts['ok_after_retry']} OK after a retry, "
                    f"{counts['already_gone']} already gone after a retry, "
                    f"{counts['failed']} failed")
        calls = sum(results.values())
        log(phase, f"{calls} deletes by round robin over {replicas} replicas in {seconds:.0f} s: "
                   f"{summary(results)}")
        log(phase, f"of them after the kill: {summary(after_kill)}")
        log(phase, f"OK answers counted by the surviving replicas: {', '.join(per_replica)}")
        log(phase, f"registrations the emulator received two deletes for: {len(twice)} "
                   "(a dead replica's send, then the retry after its claim lapsed)")
        for failure in failures[:5]:
            log(phase, f"  failed: {failure}")
        assert after_kill["ok"] > 0, after_kill
        assert results["failed"] == 0, failures[:10]
        # Only a call the killed replica held may have been sent twice, and
        # then its retry found the registration gone.
        assert len(twice) <= results["already_gone"], (twice, results)
        assert all(sent[rid] == 2 for rid in twice), {rid: sent[rid] for rid in twice}

        start = time.monotonic()
        podman("pod", "stop", "--time", str(GRACE_S), f"{PREFIX}gw-0", timeout=GRACE_S + 30)
        took = time.monotonic() - start
        code = json.loads(podman("inspect", f"{PREFIX}gw-0-gateway").stdout)[0]["State"]["ExitCode"]
        assert code == 0 and took < GRACE_S, (code, took)
        log(phase, f"pod {PREFIX}gw-0 stopped (SIGTERM): exit code 0 after {took:.2f} s")
    finally:
        podman("kube", "down", manifest, check=False, timeout=120)
        for i in range(replicas):
            podman("volume", "rm", "--force", f"{PREFIX}audit-{i}", check=False)
            podman("volume", "rm", "--force", f"{PREFIX}tmp-{i}", check=False)
        podman("volume", "rm", "--force", f"{PREFIX}redis-data", check=False)
        for document in yaml.safe_load_all(open(manifest)):
            if document["kind"] == "ConfigMap":
                podman("volume", "rm", "--force", document["metadata"]["name"], check=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", required=True, help="the image to test (build.sh --tag)")
    parser.add_argument("--phases", default="run,kube")
    parser.add_argument("--seconds", type=float, default=20, help="the kube phase's load")
    parser.add_argument("--kill-after", type=float, default=6)
    args = parser.parse_args()
    directory = tempfile.mkdtemp(prefix=PREFIX)
    os.chmod(directory, 0o755)
    fixture = Fixture(directory)
    try:
        if "run" in args.phases:
            run_phase(args.image, fixture)
        if "kube" in args.phases:
            kube_phase(args.image, fixture, args.seconds, args.kill_after)
    finally:
        fixture.stop()
        shutil.rmtree(directory, ignore_errors=True)
    print("container test: PASS", flush=True)


if __name__ == "__main__":
    main()
