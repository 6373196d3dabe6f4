"""Runs the gateway against local fake upstreams, for trying it out.

    bazel run //:gateway                   # emulators + gateway on 127.0.0.1:50051
    bazel run //:gateway -- --secure       # the same with TLS, mTLS, a token and a policy
    bazel run //:gateway -- --listen=127.0.0.1:0 --metrics=127.0.0.1:0
                                           # free ports (default metrics: 127.0.0.1:9464)
    bazel run //:gateway -- --config=FILE  # no emulators: the real gateway, as configured

Without --config it makes a throw-away CA, starts the HTTPS emulators on free
loopback ports, seeds demo data, writes a configuration pointing the gateway
at them and runs the gateway until interrupted.
"""

import hashlib
import json
import os
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))  # the workspace in the runfiles tree
GATEWAY = os.path.join(ROOT, "server", "gateway")
PYTHON = "/usr/bin/python3"

LWA_CLIENT_ID = "amzn1.application-oa2-client.demo"
LWA_CLIENT_SECRET = "demo-lwa-client-secret"
AWS_KEY_ID = "AKIDLINKGATEWAYDEMO1"
AWS_SECRET = "demo-aws-secret-access-key"
IMICONNECT_KEY = "demo-imiconnect-profile-key"
IMICONNECT_APP = "a_635736738702976937"
DEMO_SLOTS = {"slot1": {"subscribed": True, "productInfoList": [
    {"asin": "B000DEMO01", "quantity": 1, "unit": "count"}]},
              "slot2": {"subscribed": False}}


def make_certificates(directory):
    ca_key, ca = os.path.join(directory, "ca.key"), os.path.join(directory, "ca.pem")
    key, csr = os.path.join(directory, "server.key"), os.path.join(directory, "server.csr")
    cert, ext = os.path.join(directory, "server.pem"), os.path.join(directory, "server.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    for command in (
            ["openssl", "req", "-x509", *curve, "-keyout", ca_key, "-out", ca, "-days", "30",
             "-subj", "/CN=linkgateway demo CA"],
            ["openssl", "req", *curve, "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"],
            ["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
             "-CAcreateserial", "-out", cert, "-days", "30", "-extfile", ext]):
        subprocess.run(command, check=True, capture_output=True)
    return ca, cert, key


def make_client_certificate(directory, ca, ca_key, name, spiffe_id):
    """A client certificate for mTLS whose identity is `spiffe_id`."""
    key, csr = os.path.join(directory, f"{name}.key"), os.path.join(directory, f"{name}.csr")
    cert, ext = os.path.join(directory, f"{name}.pem"), os.path.join(directory, f"{name}.ext")
    with open(ext, "w") as f:
        f.write(f"subjectAltName=URI:{spiffe_id}\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=clientAuth\n")
    curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    for command in (
            ["openssl", "req", *curve, "-keyout", key, "-out", csr, "-subj", f"/CN={name}"],
            ["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
             "-CAcreateserial", "-out", cert, "-days", "30", "-extfile", ext]):
        subprocess.run(command, check=True, capture_output=True)
    return cert, key


def token_line(principal, token):
    """A token file line: principal, salt, sha256(salt || token), in hex."""
    salt = secrets.token_bytes(16)
    return f"{principal} {salt.hex()} {hashlib.sha256(salt + token.encode()).hexdigest()}\n"


def secure_section(directory, ca, cert, key, audit, target):
    """TLS with client certificates, a bearer token, a policy: the demo's
    security section, and what to tell the person trying it."""
    ca_key = os.path.join(directory, "ca.key")
    client_cert, client_key = make_client_certificate(
        directory, ca, ca_key, "demo-client", "spiffe://linkgateway.demo/ops")
    token = secrets.token_hex(16)
    token_file = os.path.join(directory, "demo.token")
    with open(token_file, "w") as f:
        f.write(token + "\n")
    tokens = os.path.join(directory, "tokens.txt")
    with open(tokens, "w") as f:
        f.write(token_line("demo-token-caller", token))
    policy = os.path.join(directory, "policy.json")
    with open(policy, "w") as f:
        json.dump({"name": "linkgateway-demo", "allow_rules": [
            {"name": "demo-callers-do-everything",
             "source": {"principals": ["spiffe://linkgateway.demo/ops",
                                     "token:demo-token-caller"]}}
        ]}, f, indent=2)
    section = f'''security {{
  tls {{
    cert_file: "{cert}"
    key_file: "{key}"
    client_ca_file: "{ca}"
  }}
  authentication {{ mtls: true token_file: "{tokens}" }}
  policy_file: "{policy}"
  public_health_and_reflection: true
  audit {{ path: "{audit}" }}
}}
'''
    lines = [
        "  SECURITY: TLS; callers authenticate with the demo client certificate",
        "    (spiffe://linkgateway.demo/ops) or the demo bearer token; policy: " + policy,
        f"    audit trail: {audit}",
        "  grpcurl with the client certificate:",
        f"    grpcurl -cacert {ca} -cert {client_cert} -key {client_key} {target} list",
        "  or with the bearer token:",
        f"    grpcurl -cacert {ca} -H \"authorization: Bearer $(cat {token_file})\" {target} ...",
    ]
    return section, lines


def start(argv):
    """Starts a server process and returns (process, port) once it listens."""
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in process.stdout:
        if "listening on 127.0.0.1:" in line:
            return process, int(line.rsplit(":", 1)[1])
        sys.stderr.write(line)
    raise SystemExit(f"{argv[0]} exited before listening")


def control(url, ca, path, body):
    request = urllib.request.Request(f"{url}/__emulator/{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=ca)) as r:
        return json.load(r)


def main():
    args = sys.argv[1:]
    if any(a.startswith("--config") for a in args):
        os.execv(GATEWAY, [GATEWAY] + args)
    secure = "--secure" in args
    args = [a for a in args if a != "--secure"]
    if not any(a.startswith("--listen") for a in args):
        args.append("--listen=127.0.0.1:50051")
    # The demo exports metrics (port 0 picks a free one; the gateway logs it).
    metrics = [a.split("=", 1)[1] for a in args if a.startswith("--metrics=")] or ["127.0.0.1:9464"]
    args = [a for a in args if not a.startswith("--metrics=")]

    directory = tempfile.mkdtemp(prefix="linkgateway-demo.")
    children = []
    try:
        ca, cert, key = make_certificates(directory)
        amazon, port = start([PYTHON, "-u", os.path.join(HERE, "amazon_emulator.py"),
                              "--cert", cert, "--key", key,
                              "--lwa-client", f"{LWA_CLIENT_ID}:{LWA_CLIENT_SECRET}"])
        children.append(amazon)
        amazon_url = f"https://127.0.0.1:{port}"
        device = control(amazon_url, ca, "devices", {"model": "demo-model", "device": "demo-device-1",
                                                     "slots": DEMO_SLOTS})
        control(amazon_url, ca, "subscriptions", {"notificationType": "ANY_OFFER_CHANGED",
                                                  "subscriptionId": "demo-subscription-1"})

        sms, port = start([PYTHON, "-u", os.path.join(HERE, "sms_voice_emulator.py"),
                           "--cert", cert, "--key", key, "--region", "us-east-1",
                           "--key-id", AWS_KEY_ID, "--secret", AWS_SECRET])
        children.append(sms)
        sms_url = f"https://127.0.0.1:{port}"
        control(sms_url, ca, "registrations", {"RegistrationId": "registration-demo-1"})

        imiconnect, port = start([PYTHON, "-u", os.path.join(HERE, "imiconnect_emulator.py"),
                                  "--cert", cert, "--key", key, "--profile-key", IMICONNECT_KEY,
                                  "--queue-delay-ms", "2000"])
        children.append(imiconnect)
        imiconnect_url = f"https://127.0.0.1:{port}"
        control(imiconnect_url, ca, "profiles", {"appId": IMICONNECT_APP, "customerId": "9876",
                                                 "deviceId": "4451830998765"})

        secret_file = os.path.join(directory, "lwa_client_secret")
        with open(secret_file, "w") as f:
            f.write(LWA_CLIENT_SECRET + "\n")
        config = os.path.join(directory, "gateway.textproto")
        audit = os.path.join(directory, "audit.jsonl")
        if secure:
            listen = [a.split("=", 1)[1] for a in args if a.startswith("--listen=")][-1]
            target = listen if not listen.endswith(":0") else "127.0.0.1:<port below>"
            security, security_lines = secure_section(directory, ca, cert, key, audit, target)
        else:
            security = f'''security {{
  plaintext: true
  audit {{ path: "{audit}" }}
}}
'''
            security_lines = [
                "  SECURITY: plaintext on loopback, callers NOT authenticated (demo only;",
                "    --secure for TLS, mTLS, a token and a policy);",
                f"    audit trail: {audit}",
            ]
        with open(config, "w") as f:
            f.write(f'''# Generated by run_gateway.py: every upstream is a local emulator.
upstream {{ ca_bundle_file: "{ca}" }}
dash_replenishment {{ endpoint: "{amazon_url}" }}
login_with_amazon {{
  token_endpoint: "{amazon_url}/auth/o2/token"
  client_id {{ env: "LINKGATEWAY_DEMO_LWA_CLIENT_ID" }}
  client_secret {{ file: "{secret_file}" }}
}}
selling_partner {{
  north_america_endpoint: "{amazon_url}"
  europe_endpoint: "{amazon_url}"
  far_east_endpoint: "{amazon_url}"
}}
sms_voice {{
  region: "us-east-1"
  endpoint: "{sms_url}"
  credentials {{ from_environment: true }}
}}
imiconnect {{
  base_url: "{imiconnect_url}"
  profile_key {{ env: "LINKGATEWAY_DEMO_IMICONNECT_KEY" }}
}}
observability {{
  metrics_address: "{metrics[-1]}"
  access_log {{ enabled: true format: ACCESS_LOG_FORMAT_TEXT }}
}}
{security}''')
        os.environ["LINKGATEWAY_DEMO_LWA_CLIENT_ID"] = LWA_CLIENT_ID
        os.environ["LINKGATEWAY_DEMO_IMICONNECT_KEY"] = IMICONNECT_KEY
        os.environ["AWS_ACCESS_KEY_ID"] = AWS_KEY_ID
        os.environ["AWS_SECRET_ACCESS_KEY"] = AWS_SECRET
        os.environ.pop("AWS_SESSION_TOKEN", None)
        banner = "\n".join([
            "=" * 78,
            "EMULATOR MODE: no --config given, so every upstream is a LOCAL FAKE.",
            f"  Amazon (LWA, Dash Replenishment, SP-API) emulator: {amazon_url}",
            f"  SMS and Voice v2 emulator: {sms_url}",
            f"  IMIconnect emulator: {imiconnect_url}",
            f"  configuration: {config}",
            *security_lines,
            f"  metrics: http://{metrics[-1]}/metrics (the gateway logs the port);"
            " access log: below, one line per call",
            "  demo data:",
            f"    Dash Replenishment device token: {device['accessToken']}",
            "    SP-API subscription: ANY_OFFER_CHANGED / demo-subscription-1",
            "    SMS and Voice registration: registration-demo-1",
            f"    IMIconnect app profile: {IMICONNECT_APP} / 9876 / 4451830998765",
            "  Not for production: pass --config=FILE to call the real providers.",
            "=" * 78,
        ])
        print(banner, flush=True)
        gateway = subprocess.Popen([GATEWAY, f"--config={config}"] + args)
        children.append(gateway)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda number, _: gateway.send_signal(number))
        sys.exit(gateway.wait())
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
                child.wait()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
