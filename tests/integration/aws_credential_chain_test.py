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

And two named AWS accounts in one gateway (docs/accounts.md): one in
us-east-1 by assume-role from a base profile, one in eu-west-2 by web
identity whose token is rotated mid-run, each with its own SMS and Voice
emulator that checks the region of every signature: each request is signed
with its account's credentials and region, refreshed with no failed call;
an unknown account is refused naming the field; the policy keeps a caller to
its account; audit records and metrics name the account.
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


def refresh_leads(issued):
    """For credentials STS issued one after another for one role: how long
    (seconds) before the previous ones expired the next were issued."""
    return [previous["expires"] - following["issuedAt"]
            for previous, following in zip(issued, issued[1:])]


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
        self.tls_args = tls

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
        self.urls = {"sts": self.sts, "imds": self.imds, "container": self.container,
                     "sms": self.sms}

    def add_sms(self, name, region):
        """Another SMS and Voice emulator, for `region`, checking the same keys."""
        self.children[name] = Child([PYTHON, "-u", os.path.join(EMULATORS, "sms_voice_emulator.py"),
                                     *self.tls_args, "--keys-file", self.keys_file,
                                     "--region", region, "--key-id", "AKIDUNUSEDSTATIC",
                                     "--secret", "unused"])
        self.urls[name] = f"https://127.0.0.1:{self.children[name].port}"
        return self.urls[name]

    def control(self, name, verb, body=None):
        url = self.urls[name]
        request = urllib.request.Request(f"{url}/__emulator/{verb}",
                                         data=json.dumps(body or {}).encode())
        with urllib.request.urlopen(request, context=self.tls if url.startswith("https") else None,
                                    timeout=WAIT_S) as answer:
            return json.load(answer)

    def signed_by(self, name="sms"):
        """The access key id of every request SMS and Voice accepted, in order."""
        return [key for key, _ in self.scopes(name)]

    def scopes(self, name="sms"):
        """(access key id, region) of the signature of every request the
        emulator `name` accepted, in order."""
        scopes = []
        for r in self.control(name, "requests"):
            found = re.search(r"Credential=([A-Z0-9]+)/\d{8}/([a-z0-9-]+)/",
                              r["headers"].get("authorization", ""))
            if found:
                scopes.append((found.group(1), found.group(2)))
        return scopes

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
        leads = refresh_leads(issued)
        print(f"refresh run: {calls} deletes, {len(failures)} failed, {len(issued)} STS "
              f"issuances, {len(keys_used)} keys used, each issued at least "
              f"{min(leads):.1f} s before the previous expired")
        self.assertEqual(failures, [])
        # Refreshed before expiry: every new issuance while the previous
        # credentials were still valid.
        self.assertGreater(min(leads), 0, issued)
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


class TwoAccountsTest(unittest.TestCase):
    """Two named AWS accounts in two regions in one gateway."""

    world = None

    @classmethod
    def setUpClass(cls):
        cls.world = World()
        cls.sms_eu = cls.world.add_sms("sms_eu", "eu-west-2")

    @classmethod
    def tearDownClass(cls):
        cls.world.stop()

    def start(self, case_dir):
        """The gateway with accounts "us" (us-east-1: assume-role from the
        base profile's keys) and "eu" (eu-west-2: web identity from a
        projected token volume), callers "ops" (every account) and "us-team"
        (only sms_voice/us), an audit trail and a metrics endpoint."""
        world = self.world
        files = {
            "config": f"[profile app]\nrole_arn = {role('us-app')}\nsource_profile = base\n"
                      "role_session_name = gateway-us\n",
            "credentials": "[base]\naws_access_key_id = AKIDBASEUS0000001\n"
                           "aws_secret_access_key = base-us-secret\n",
            "policy.json": json.dumps({"name": "accounts", "allow_rules": [
                {"name": "ops-everywhere", "source": {"principals": ["token:ops"]}},
                {"name": "us-team-in-us", "source": {"principals": ["token:us-team"]},
                 "request": {"accounts": ["sms_voice/us"]}}]}),
        }
        tokens = []
        for name in ("ops", "us-team"):
            salt = os.urandom(16)
            digest = hashlib.sha256(salt + f"secret-of-{name}".encode()).hexdigest()
            tokens.append(f"{name} {salt.hex()} {digest}\n")
        files["tokens"] = "".join(tokens)
        for name, text in files.items():
            with open(os.path.join(case_dir, name), "w") as f:
                f.write(text)
        world.store.add("AKIDBASEUS0000001", "base-us-secret", None, None, BASE_USER)
        world.control("sts", "roles", {"arn": role("us-app"), "trust": [BASE_USER]})
        subject = "system:serviceaccount:gateway:eu"
        world.control("sts", "roles", {"arn": role("eu-irsa"), "trust": [f"oidc:{subject}"]})
        # Credentials live 6 s and are refreshed 2-3 s ahead; the first eu
        # token expires 5 s in, the volume holds the next from 2 s on.
        world.control("sts", "lifetime", {"seconds": 6})
        volume = os.path.join(case_dir, "serviceaccount")
        os.makedirs(os.path.join(volume, "v1"))
        with open(os.path.join(volume, "v1", "token"), "w") as f:
            f.write(jwt(subject, 5, "eu-token-v1"))
        os.symlink("v1", os.path.join(volume, "..data"))
        os.symlink("..data/token", os.path.join(volume, "token"))
        self.volume, self.subject = volume, subject
        refresh = "refresh_ahead { seconds: 2 } refresh_jitter { seconds: 1 }"
        sts = f'sts {{ endpoint: "{world.sts}" }}'
        config = os.path.join(case_dir, "gateway.textproto")
        with open(config, "w") as f:
            f.write(f'''listen_address: "127.0.0.1:0"
upstream {{ ca_bundle_file: "{world.ca}" }}
sms_voice {{
  accounts {{
    name: "us" region: "us-east-1" endpoint: "{world.sms}"
    credentials {{
      chain {{ profile: "app" config_file: "{case_dir}/config"
              credentials_file: "{case_dir}/credentials"
              container {{ disabled: true }} instance_metadata {{ disabled: true }} }}
      {sts} {refresh}
    }}
  }}
  accounts {{
    name: "eu" region: "eu-west-2" endpoint: "{self.sms_eu}"
    credentials {{
      web_identity {{ token_file: "{volume}/token" role_arn: "{role('eu-irsa')}" }}
      {sts} {refresh}
    }}
  }}
  default_account: "us"
}}
security {{
  plaintext: true
  authentication {{ token_file: "{case_dir}/tokens" }}
  policy_file: "{case_dir}/policy.json"
  audit {{ path: "{case_dir}/audit.jsonl" }}
}}
observability {{
  metrics_address: "127.0.0.1:0"
  access_log {{ enabled: true path: "{case_dir}/access.log" format: ACCESS_LOG_FORMAT_TEXT }}
}}
''')
        env = base_env(case_dir, world)
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        self.child = Child([GATEWAY, f"--config={config}"], env=env,
                           marker=r"linkgateway: listening on 127\.0\.0\.1:(\d+)")
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.child.port}")
        self.stub = registrations_pb2_grpc.RegistrationServiceStub(self.channel)

    def stop(self):
        self.channel.close()
        self.child.stop()

    def delete(self, caller, account, registration, timeout=WAIT_S):
        request = registrations_pb2.DeleteRegistrationRequest()
        request.sms_voice.registration_id = registration
        if account:
            request.sms_voice.account = account
        return self.stub.DeleteRegistration(
            request, timeout=timeout,
            metadata=[("authorization", f"Bearer secret-of-{caller}")])

    def seed(self, registration):
        for name in ("sms", "sms_eu"):
            self.world.control(name, "registrations", {"RegistrationId": registration})

    def rotate(self):
        volume = self.volume
        os.makedirs(os.path.join(volume, "v2"))
        with open(os.path.join(volume, "v2", "token"), "w") as f:
            f.write(jwt(self.subject, 3600, "eu-token-v2"))
        os.symlink("v2", os.path.join(volume, "..data.tmp"))
        os.replace(os.path.join(volume, "..data.tmp"), os.path.join(volume, "..data"))

    def metrics(self):
        found = re.search(rb"metrics on http://(127\.0\.0\.1:\d+)", self.child.output)
        self.assertIsNotNone(found, self.child.output.decode())
        with urllib.request.urlopen(f"http://{found.group(1).decode()}/metrics",
                                    timeout=WAIT_S) as answer:
            return answer.read().decode()

    def test_each_account_signs_with_its_own_credentials_and_region(self):
        world = self.world
        case_dir = os.path.join(world.dir, "two-accounts")
        os.makedirs(case_dir)
        self.start(case_dir)
        try:
            self.run_accounts(case_dir)
        finally:
            self.stop()
        # The access log (written out at exit) names the account of each
        # call, the refused one too.
        with open(os.path.join(case_dir, "access.log")) as f:
            lines = f.read().splitlines()

        def line_of(registration, code):
            found = [line for line in lines
                     if f" DeleteRegistration sms_voice {code}" in line
                     and re.search(rf" target\.registration_id={registration}( |$)", line)]
            self.assertEqual(len(found), 1, (registration, code, lines[:6]))
            return found[0]
        self.assertIn(" account=us ", line_of("reg-us-1", "OK"))
        self.assertIn(" account=eu ", line_of("reg-eu-1", "OK"))
        self.assertIn(" account=us ", line_of("reg-default-1", "OK"))
        self.assertRegex(line_of("reg-eu-2", "PERMISSION_DENIED"),
                         r" caller=token:us-team/\S+ .*account=eu ")

    def run_accounts(self, case_dir):
        world = self.world
        # Each account's delete reaches its own region's emulator only.
        self.seed("reg-us-1")
        self.seed("reg-eu-1")
        self.seed("reg-default-1")
        self.delete("ops", "us", "reg-us-1")
        self.delete("ops", "eu", "reg-eu-1")
        self.delete("ops", "", "reg-default-1")  # the default: us
        us_requests = [json.loads(r["body"])["RegistrationId"]
                       for r in world.control("sms", "requests")]
        eu_requests = [json.loads(r["body"])["RegistrationId"]
                       for r in world.control("sms_eu", "requests")]
        self.assertEqual(us_requests, ["reg-us-1", "reg-default-1"])
        self.assertEqual(eu_requests, ["reg-eu-1"])
        issued = {i["accessKeyId"]: i["role"] for i in world.control("sts", "issued")}
        for name, account_role, region in (("sms", role("us-app"), "us-east-1"),
                                           ("sms_eu", role("eu-irsa"), "eu-west-2")):
            for key, scope_region in world.scopes(name):
                self.assertEqual((issued.get(key), scope_region), (account_role, region), name)

        # An account the configuration does not have: refused, naming the
        # field, nothing sent.
        with self.assertRaises(grpc.RpcError) as unknown:
            self.delete("ops", "ap", "reg-us-1")
        self.assertEqual(unknown.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("sms_voice.account", unknown.exception.details())

        # The policy keeps us-team to its account.
        self.seed("reg-us-2")
        self.seed("reg-eu-2")
        self.delete("us-team", "us", "reg-us-2")
        with self.assertRaises(grpc.RpcError) as denied:
            self.delete("us-team", "eu", "reg-eu-2")
        self.assertEqual(denied.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        self.assertEqual(len(world.control("sms_eu", "requests")), 1)
        print(f"unknown account: {unknown.exception.details()}; us-team in eu: "
              f"{denied.exception.details()}")

        # Both accounts keep working while their credentials expire every
        # 6 s and the eu token is rotated on disk.
        failures, calls, start, rotated = [], 0, time.monotonic(), False
        while time.monotonic() - start < 10:
            if not rotated and time.monotonic() - start > 2:
                self.rotate()
                rotated = True
            calls += 1
            for account in ("us", "eu"):
                registration = f"reg-{account}-run-{calls}"
                self.seed(registration)
                try:
                    self.delete("ops", account, registration, timeout=5)
                except grpc.RpcError as e:
                    failures.append(f"{account}: {e.code()}: {e.details()}")
            time.sleep(0.05)
        issued_all = world.control("sts", "issued")
        issued = {i["accessKeyId"]: i["role"] for i in issued_all}
        eu_issued = [i for i in issued_all if i["role"] == role("eu-irsa")]
        us_issued = [i for i in issued_all if i["role"] == role("us-app")]
        scopes = {name: world.scopes(name) for name in ("sms", "sms_eu")}
        leads = {"us": refresh_leads(us_issued), "eu": refresh_leads(eu_issued)}
        print(f"two accounts: {calls} rounds, {len(failures)} failed; us signed with "
              f"{len(set(scopes['sms']))} keys, eu with {len(set(scopes['sms_eu']))} keys; "
              f"{len(eu_issued)} eu web identity issuances; each account's credentials issued "
              f"at least {min(leads['us']):.1f} s (us), {min(leads['eu']):.1f} s (eu) before "
              "the previous expired")
        self.assertEqual(failures, [])
        # Refreshed before expiry, in both accounts.
        for account, account_leads in leads.items():
            self.assertGreater(min(account_leads), 0, (account, issued_all))
        self.assertGreaterEqual(len(eu_issued), 3)
        self.assertEqual(eu_issued[0]["jti"], "eu-token-v1")
        self.assertEqual(eu_issued[-1]["jti"], "eu-token-v2")
        self.assertGreaterEqual(len(set(scopes["sms"])), 2)
        for name, account_role, region in (("sms", role("us-app"), "us-east-1"),
                                           ("sms_eu", role("eu-irsa"), "eu-west-2")):
            for key, scope_region in scopes[name]:
                self.assertEqual((issued.get(key), scope_region), (account_role, region), name)

        # The audit trail and the metrics name the account; the unknown
        # name the caller sent is in no metric.
        with open(os.path.join(case_dir, "audit.jsonl")) as f:
            records = [json.loads(line) for line in f if line.strip()]
        by_id = {r.get("target", {}).get("registration_id"): r for r in records
                 if r.get("method", "").endswith("/DeleteRegistration")
                 and r.get("outcome", {}).get("code") == "OK"}
        self.assertEqual(by_id["reg-us-1"].get("account"), "us")
        self.assertEqual(by_id["reg-eu-1"].get("account"), "eu")
        self.assertEqual(by_id["reg-default-1"].get("account"), "us")
        denied_records = [r for r in records if r.get("caller", {}).get("principal") ==
                          "token:us-team" and r.get("account") == "eu"]
        self.assertEqual(len(denied_records), 1, records[-5:])
        text = self.metrics()
        for account in ("us", "eu"):
            self.assertRegex(text, r'linkgateway_upstream_requests_total\{provider="sms_voice",'
                                   rf'operation="DeleteRegistration",status="200",'
                                   rf'account="{account}"\}} [1-9]')
        # Calls are counted per account too: us-team's denial in eu, and the
        # unknown name's refusal with no account label at all.
        rpcs = (r'linkgateway_rpcs_total\{grpc_service="linkgateway\.v1\.RegistrationService",'
                r'grpc_method="DeleteRegistration",provider="sms_voice",')
        self.assertRegex(text, rpcs + r'grpc_code="PERMISSION_DENIED",account="eu"\} 1\n')
        self.assertRegex(text, rpcs + r'grpc_code="OK",account="us"\} [1-9]')
        self.assertRegex(text, rpcs + r'grpc_code="INVALID_ARGUMENT"\} [1-9]')
        self.assertNotIn('account="ap"', text)


if __name__ == "__main__":
    unittest.main()
