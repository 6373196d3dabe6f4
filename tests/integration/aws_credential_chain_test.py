"""The AWS credential chain against botocore, and the real gateway signing
with what each link gives.

Emulators on 127.0.0.1 (tests/emulators): STS (HTTPS), EC2 instance metadata
and the container credentials endpoint (plain HTTP, as AWS serves them), and
SMS and Voice v2, which checks every signature with botocore's signer against
the keys the issuers handed out. For each link of the chain, one environment
and set of files is given to botocore's resolver (the oracle,
botocore_credentials.py) and to the gateway binary: the gateway must sign its
DeleteRegistration with exactly the credentials botocore resolved (STS runs
deterministic here, so the same request gets the same keys), and where
botocore finds nothing or refuses, the gateway must refuse too.

Then what only the gateway does: credentials refreshed ahead of expiry with
no failed call while the web identity token is rotated on disk, and a
container behind the instance metadata hop limit failing fast.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import select
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

import grpc

from linkgateway.v1 import registrations_pb2, registrations_pb2_grpc

ROOT = os.path.join(os.environ.get("TEST_SRCDIR", "."),
                    os.environ.get("TEST_WORKSPACE", "linkgateway"))
EMULATORS = os.path.join(ROOT, "tests", "emulators")
GATEWAY = os.path.join(ROOT, "server", "gateway")
ORACLE = os.path.join(ROOT, "tests", "integration", "botocore_credentials.py")
PYTHON = "/usr/bin/python3"
sys.path.insert(0, EMULATORS)

import aws_keys  # noqa: E402
import run_gateway  # noqa: E402

ACCOUNT = "111122223333"
BASE_USER = f"arn:aws:iam::{ACCOUNT}:user/base"
OIDC_KEY = "oidc-test-signing-key"
OIDC_ISSUER = "https://oidc.emulator.test"
WAIT_S = 30


def role(name):
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def jwt(subject, expires_in, jti):
    """An OIDC token as a Kubernetes projected service account token."""
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    now = int(time.time())
    signing_input = part({"alg": "HS256", "typ": "JWT"}) + "." + part(
        {"iss": OIDC_ISSUER, "aud": "sts.amazonaws.com", "sub": subject, "iat": now,
         "exp": now + expires_in, "jti": jti})
    signature = hmac.new(OIDC_KEY.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()


class Child:
    """A process that prints "listening on 127.0.0.1:<port>" when it serves."""

    def __init__(self, argv, env=None, marker=r"listening on 127\.0\.0\.1:(\d+)"):
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        env=env)
        self.output = b""
        deadline = time.monotonic() + WAIT_S
        while True:
            found = re.search(marker.encode(), self.output)
            if found:
                self.port = int(found.group(1))
                break
            remaining = deadline - time.monotonic()
            ready = select.select([self.process.stdout], [], [], max(0, remaining))[0]
            chunk = os.read(self.process.stdout.fileno(), 65536) if ready else b""
            if not chunk:
                self.stop()
                raise AssertionError(f"{argv[0]} never served:\n{self.output.decode()}")
            self.output += chunk
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()

    def _drain(self):
        while True:
            chunk = os.read(self.process.stdout.fileno(), 65536)
            if not chunk:
                return
            self.output += chunk

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        drainer = getattr(self, "_drainer", None)
        if drainer is not None:
            drainer.join(timeout=10)
        self.process.stdout.close()


class World:
    """The emulators, the key store and a test CA in a temporary directory."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="awschain-")
        self.ca, cert, key = run_gateway.make_certificates(self.dir)
        self.keys_file = os.path.join(self.dir, "keys.json")
        self.store = aws_keys.KeyStore(self.keys_file)
        self.pod_token_file = os.path.join(self.dir, "pod-token")
        with open(self.pod_token_file, "w") as f:
            f.write("eks-pod-identity-token-1")
        tls = ["--cert", cert, "--key", key]

        def emulator(name, *args):
            return Child([PYTHON, "-u", os.path.join(EMULATORS, name), *args])
        self.children = {
            "sts": emulator("sts_emulator.py", *tls, "--keys-file", self.keys_file,
                            "--oidc-issuer", OIDC_ISSUER, "--oidc-key", OIDC_KEY),
            "imds": emulator("imds_emulator.py", "--plain-http", "--keys-file", self.keys_file),
            "container": emulator("container_credentials_emulator.py", "--plain-http",
                                  "--keys-file", self.keys_file,
                                  "--token-file", self.pod_token_file),
            "sms": emulator("sms_voice_emulator.py", *tls, "--keys-file", self.keys_file,
                            "--key-id", "AKIDUNUSEDSTATIC", "--secret", "unused"),
        }
        self.sts = f"https://127.0.0.1:{self.children['sts'].port}"
        self.imds = f"http://127.0.0.1:{self.children['imds'].port}"
        self.container = f"http://127.0.0.1:{self.children['container'].port}"
        self.sms = f"https://127.0.0.1:{self.children['sms'].port}"
        self.tls = ssl.create_default_context(cafile=self.ca)

    def control(self, name, verb, body=None):
        url = {"sts": self.sts, "imds": self.imds, "container": self.container,
               "sms": self.sms}[name]
        request = urllib.request.Request(f"{url}/__emulator/{verb}",
                                         data=json.dumps(body or {}).encode())
        with urllib.request.urlopen(request, context=self.tls if url.startswith("https") else None,
                                    timeout=WAIT_S) as answer:
            return json.load(answer)

    def signed_by(self):
        """The access key id of every request SMS and Voice accepted, in order."""
        keys = []
        for r in self.control("sms", "requests"):
            found = re.search(r"Credential=([A-Z0-9]+)/", r["headers"].get("authorization", ""))
            if found:
                keys.append(found.group(1))
        return keys

    def stop(self):
        for child in self.children.values():
            child.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Gateway:
    """The gateway binary, its AWS credentials configured by `credentials`
    (text format inside sms_voice.credentials), with environment `env`."""

    def __init__(self, world, env, credentials=None, case_dir=None):
        credentials = credentials or (
            f'chain {{ container {{ relative_uri_endpoint: "{world.container}" }} }}')
        config = os.path.join(case_dir or world.dir, "gateway.textproto")
        with open(config, "w") as f:
            f.write(f'''listen_address: "127.0.0.1:0"
upstream {{ ca_bundle_file: "{world.ca}" }}
sms_voice {{
  region: "us-east-1"
  endpoint: "{world.sms}"
  credentials {{ {credentials} sts {{ endpoint: "{world.sts}" }} }}
}}
security {{ plaintext: true }}
''')
        self.child = Child([GATEWAY, f"--config={config}"], env=env,
                           marker=r"linkgateway: listening on 127\.0\.0\.1:(\d+)")
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.child.port}")
        self.stub = registrations_pb2_grpc.RegistrationServiceStub(self.channel)

    def delete(self, registration_id, timeout=WAIT_S):
        request = registrations_pb2.DeleteRegistrationRequest()
        request.sms_voice.registration_id = registration_id
        return self.stub.DeleteRegistration(request, timeout=timeout)

    def stop(self):
        self.channel.close()
        self.child.stop()


def base_env(case_dir, world):
    """What every case starts from: no real home, config or instance."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": case_dir,
        "AWS_CONFIG_FILE": os.path.join(case_dir, "config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(case_dir, "credentials"),
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": world.imds,
        "AWS_DEFAULT_REGION": "us-east-1",
    }


# One row per link: the environment (values may name {dir}, {container}),
# the files, what botocore must report as its method, and what to seed.
CASES = [
    dict(name="environment",
         env={"AWS_ACCESS_KEY_ID": "AKIDENVIRONMENT01", "AWS_SECRET_ACCESS_KEY": "env-secret",
              "AWS_SESSION_TOKEN": "env-session-token"},
         files={"credentials": "[default]\naws_access_key_id = AKIDFILE0000000001\n"
                               "aws_secret_access_key = file-secret\n"},
         keys=[("AKIDENVIRONMENT01", "env-secret", "env-session-token"),
               ("AKIDFILE0000000001", "file-secret", None)],
         method="env"),
    dict(name="credentials_file",
         files={"credentials": "[default]\naws_access_key_id = AKIDFILE0000000001\n"
                               "aws_secret_access_key = file-secret\n"},
         keys=[("AKIDFILE0000000001", "file-secret", None)],
         method="shared-credentials-file"),
    dict(name="config_file_profile",
         env={"AWS_PROFILE": "dev"},
         files={"config": "[profile dev]\naws_access_key_id = AKIDCONFIGDEV0001\n"
                          "aws_secret_access_key = config-secret\n"
                          "aws_session_token = config-token\n"},
         keys=[("AKIDCONFIGDEV0001", "config-secret", "config-token")],
         method="config-file"),
    dict(name="assume_role_source_profile",
         env={"AWS_PROFILE": "app"},
         files={"config": f"[profile app]\nrole_arn = {role('app')}\nsource_profile = base\n"
                          "role_session_name = gateway-app\nexternal_id = ext-42\n"
                          "duration_seconds = 1800\n",
                "credentials": "[base]\naws_access_key_id = AKIDBASE000000001\n"
                               "aws_secret_access_key = base-secret\n"},
         keys=[("AKIDBASE000000001", "base-secret", None)],
         roles=[{"arn": role("app"), "trust": [BASE_USER], "externalId": "ext-42",
                 "maxSessionDuration": 3600}],
         method="assume-role"),
    dict(name="assume_role_chain",
         env={"AWS_PROFILE": "app"},
         files={"config": f"[profile app]\nrole_arn = {role('app')}\nsource_profile = mid\n"
                          "role_session_name = gateway-app\n"
                          f"[profile mid]\nrole_arn = {role('mid')}\nsource_profile = base\n"
                          "role_session_name = gateway-mid\n",
                "credentials": "[base]\naws_access_key_id = AKIDBASE000000001\n"
                               "aws_secret_access_key = base-secret\n"},
         keys=[("AKIDBASE000000001", "base-secret", None)],
         roles=[{"arn": role("mid"), "trust": [BASE_USER]},
                {"arn": role("app"), "trust": [role("mid")]}],
         method="assume-role"),
    dict(name="credential_source_instance_metadata",
         files={"config": f"[default]\nrole_arn = {role('app')}\n"
                          "credential_source = Ec2InstanceMetadata\n"
                          "role_session_name = from-instance\n"},
         roles=[{"arn": role("app"), "trust": [role("linkgateway-instance-role")]}],
         method="assume-role"),
    dict(name="web_identity_environment",
         env={"AWS_WEB_IDENTITY_TOKEN_FILE": "{dir}/token",
              "AWS_ROLE_ARN": role("irsa"), "AWS_ROLE_SESSION_NAME": "pod-7"},
         token=("system:serviceaccount:gateway:linkgateway", 3600),
         files={"credentials": "[default]\naws_access_key_id = AKIDFILE0000000001\n"
                               "aws_secret_access_key = file-secret\n"},
         keys=[("AKIDFILE0000000001", "file-secret", None)],
         roles=[{"arn": role("irsa"), "trust": ["oidc:system:serviceaccount:gateway:linkgateway"]}],
         method="assume-role-with-web-identity"),
    dict(name="web_identity_profile",
         files={"config": "[default]\nweb_identity_token_file = {dir}/token\n"
                          f"role_arn = {role('irsa')}\nrole_session_name = pod-8\n"},
         token=("system:serviceaccount:gateway:linkgateway", 3600),
         roles=[{"arn": role("irsa"), "trust": ["oidc:system:serviceaccount:gateway:linkgateway"]}],
         method="assume-role-with-web-identity"),
    dict(name="container_relative_uri",
         env={"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/task-1"},
         method="container-role"),
    dict(name="container_full_uri_pod_identity",
         env={"AWS_CONTAINER_CREDENTIALS_FULL_URI": "{container}/v1/credentials",
              "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "{pod_token}"},
         method="container-role"),
    dict(name="instance_metadata", method="iam-role"),
]


class ChainAgainstBotocoreTest(unittest.TestCase):
    world = None

    @classmethod
    def setUpClass(cls):
        cls.world = World()
        cls.world.control("sts", "deterministic", {"on": True})

    @classmethod
    def tearDownClass(cls):
        cls.world.stop()

    def setUp(self):
        for name in ("sts", "imds", "sms"):
            self.world.control(name, "clear")

    def prepare(self, case):
        world = self.world
        case_dir = os.path.join(world.dir, case["name"])
        os.makedirs(case_dir, exist_ok=True)
        values = {"dir": case_dir, "container": world.container,
                  "pod_token": world.pod_token_file}
        for name, text in case.get("files", {}).items():
            with open(os.path.join(case_dir, name), "w") as f:
                f.write(text.format(**values))
        if "token" in case:
            subject, expires_in = case["token"]
            with open(os.path.join(case_dir, "token"), "w") as f:
                f.write(jwt(subject, expires_in, f"{case['name']}-1"))
        for akid, secret, token in case.get("keys", []):
            world.store.add(akid, secret, token, None, BASE_USER)
        for r in case.get("roles", []):
            world.control("sts", "roles", r)
        env = base_env(case_dir, world)
        env.update({k: v.format(**values) for k, v in case.get("env", {}).items()})
        return case_dir, env

    def botocore(self, env):
        oracle_env = dict(env)
        # botocore 1.29 predates AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: it
        # gets the same token the variable's file holds.
        token_file = oracle_env.pop("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", None)
        if token_file:
            with open(token_file) as f:
                oracle_env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = f.read()
        answer = subprocess.run(
            [PYTHON, ORACLE, "--sts-endpoint", self.world.sts, "--ca-bundle", self.world.ca,
             "--ecs-address", self.world.container[len("http://"):]],
            env=oracle_env, capture_output=True, text=True, timeout=WAIT_S)
        self.assertEqual(answer.returncode, 0, answer.stderr)
        return json.loads(answer.stdout)

    def test_each_link_signs_with_what_botocore_resolves(self):
        for case in CASES:
            with self.subTest(case["name"]):
                case_dir, env = self.prepare(case)
                oracle = self.botocore(env)
                self.assertEqual(oracle.get("method"), case["method"], oracle)
                registration = f"reg-{case['name']}"
                self.world.control("sms", "registrations", {"RegistrationId": registration})
                gateway = Gateway(self.world, env, case_dir=case_dir)
                try:
                    answer = gateway.delete(registration)
                finally:
                    gateway.stop()
                self.assertEqual(answer.sms_voice.registration_id, registration)
                signed_by = self.world.signed_by()
                self.assertEqual(signed_by[-1:], [oracle["accessKeyId"]], case["name"])
                # The emulator accepted that key's signature: the gateway
                # held the same secret and token botocore resolved.
                secret, token, _, _ = self.world.store.lookup(oracle["accessKeyId"])
                self.assertEqual((secret, token),
                                 (oracle["secretAccessKey"], oracle["sessionToken"]))
                print(f"{case['name']}: botocore {oracle['method']} "
                      f"{oracle['accessKeyId']}, the gateway signed with {signed_by[-1]}")

    def test_where_botocore_finds_nothing_or_refuses_the_gateway_refuses(self):
        for case in [
                dict(name="nothing_anywhere", env={"AWS_EC2_METADATA_DISABLED": "true"}),
                dict(name="key_without_secret", env={"AWS_ACCESS_KEY_ID": "AKIDNOSECRET00001"}),
                dict(name="role_without_source",
                     files={"config": f"[default]\nrole_arn = {role('app')}\n"}),
                dict(name="container_host_not_allowed",
                     env={"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://192.0.2.1/creds"})]:
            with self.subTest(case["name"]):
                case_dir, env = self.prepare(case)
                oracle = self.botocore(env)
                self.assertTrue(oracle.get("method") is None or "error" in oracle, oracle)
                gateway = Gateway(self.world, env, case_dir=case_dir)
                try:
                    with self.assertRaises(grpc.RpcError) as failed:
                        gateway.delete("reg-never")
                finally:
                    gateway.stop()
                self.assertEqual(failed.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
                self.assertEqual(self.world.signed_by(), [])
                print(f"{case['name']}: botocore {oracle}, the gateway "
                      f"{failed.exception.code().name}: {failed.exception.details()}")


class GatewayOnlyTest(unittest.TestCase):
    """Refresh and failure behaviour botocore has no counterpart to test
    against."""

    world = None

    @classmethod
    def setUpClass(cls):
        cls.world = World()

    @classmethod
    def tearDownClass(cls):
        cls.world.stop()

    def test_refreshed_ahead_of_expiry_with_no_failed_call_while_the_token_rotates(self):
        world = self.world
        irsa = role("irsa-rotating")
        subject = "system:serviceaccount:gateway:rotating"
        world.control("sts", "roles", {"arn": irsa, "trust": [f"oidc:{subject}"]})
        # STS hands out credentials that live 6 s; the gateway refreshes them
        # halfway. The first token expires 5 s from now, the disk holds the
        # next from 2 s on: only a gateway that reads the rotated token keeps
        # getting credentials (the old ones run out 7.5 s in).
        world.control("sts", "lifetime", {"seconds": 6})
        volume = os.path.join(world.dir, "serviceaccount")
        os.makedirs(os.path.join(volume, "v1"))
        with open(os.path.join(volume, "v1", "token"), "w") as f:
            f.write(jwt(subject, 5, "token-v1"))
        os.symlink("v1", os.path.join(volume, "..data"))
        os.symlink("..data/token", os.path.join(volume, "token"))
        credentials = (f'web_identity {{ token_file: "{volume}/token" role_arn: "{irsa}" }} '
                       "refresh_ahead { seconds: 2 } refresh_jitter { seconds: 1 }")
        gateway = Gateway(world, base_env(world.dir, world), credentials)
        failures, calls = [], 0
        try:
            start = time.monotonic()
            rotated = False
            while time.monotonic() - start < 10:
                if not rotated and time.monotonic() - start > 2:
                    # Kubernetes' atomic swap of the projected volume.
                    os.makedirs(os.path.join(volume, "v2"))
                    with open(os.path.join(volume, "v2", "token"), "w") as f:
                        f.write(jwt(subject, 3600, "token-v2"))
                    os.symlink("v2", os.path.join(volume, "..data.tmp"))
                    os.replace(os.path.join(volume, "..data.tmp"), os.path.join(volume, "..data"))
                    rotated = True
                calls += 1
                registration = f"reg-rotate-{calls}"
                world.control("sms", "registrations", {"RegistrationId": registration})
                try:
                    gateway.delete(registration, timeout=5)
                except grpc.RpcError as e:
                    failures.append(f"{e.code()}: {e.details()}")
                time.sleep(0.05)
        finally:
            gateway.stop()
        issued = [i for i in world.control("sts", "issued") if i["role"] == irsa]
        keys_used = set(world.signed_by())
        print(f"refresh run: {calls} deletes, {len(failures)} failed, {len(issued)} STS "
              f"issuances, {len(keys_used)} keys used")
        self.assertEqual(failures, [])
        self.assertGreaterEqual(len(issued), 3)
        self.assertGreaterEqual(len(keys_used), 3)
        self.assertEqual(issued[0]["jti"], "token-v1")
        self.assertEqual(issued[-1]["jti"], "token-v2")

    def test_behind_the_hop_limit_instance_metadata_fails_fast(self):
        world = self.world
        world.control("imds", "hop-limit", {"exceeded": True})
        try:
            gateway = Gateway(world, base_env(world.dir, world),
                              'chain { instance_metadata { timeout { seconds: 1 } } }')
            try:
                start = time.monotonic()
                with self.assertRaises(grpc.RpcError) as failed:
                    gateway.delete("reg-hop", timeout=20)
                elapsed = time.monotonic() - start
            finally:
                gateway.stop()
        finally:
            world.control("imds", "hop-limit", {"exceeded": False})
        self.assertEqual(failed.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("hop limit", failed.exception.details())
        self.assertLess(elapsed, 10)


if __name__ == "__main__":
    unittest.main()
