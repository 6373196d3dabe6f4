"""The load benchmark: the real gateway binary, driven by the async gRPC
load generator, calling a minimal loopback upstream through the real Dash
Replenishment adapter path (retries, transport, mapping) — and, as a baseline
in the same run, the same load generator calling the upstream directly with
libcurl at the same concurrency.

    bazel run -c opt //tests/benchmarks:run -- [--duration 10] [--out DIR]

Prints a Markdown table; writes results.json and results.md to --out
(default: the current directory of `bazel run`, i.e. the workspace).
Everything runs on 127.0.0.1.
"""

import argparse
import json
import os
import platform
import resource
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GATEWAY = os.path.join(ROOT, "server", "gateway")
LOAD = os.path.join(HERE, "load")
UPSTREAM = os.path.join(HERE, "upstream")
ECHO = os.path.join(HERE, "echo_server")
HASH_TOKEN = os.path.join(ROOT, "server", "security", "hash_token")

SCENARIOS = [
    # name, upstream latency (ms), in flight, fail every Nth call, security
    # [, access log and metrics endpoint [, request_id records: memory|redis
    # [, HTTPS upstream]]]
    ("a: zero latency, 64 in flight", 0, 64, 0, ""),
    ("b: 100 ms latency, 100 in flight", 100, 100, 0, ""),
    ("b: 100 ms latency, 1000 in flight", 100, 1000, 0, ""),
    ("b: 100 ms latency, 2000 in flight", 100, 2000, 0, ""),
    ("c: 503 + Retry-After to half the calls, 64 in flight", 0, 64, 2, ""),
    # Scenario a with TLS only (callers anonymous), then with a client
    # certificate, a bearer token and a policy: what each adds per call.
    ("d: TLS, zero latency, 64 in flight", 0, 64, 0, "tls"),
    ("d: mTLS + token + policy, zero latency, 64 in flight", 0, 64, 0, "full"),
    ("d: mTLS + token + policy, 100 ms latency, 100 in flight", 100, 100, 0, "full"),
    # Scenario a with the JSON access log to a file and the metrics endpoint
    # on (metrics are always collected; the endpoint only serves them).
    ("e: access log + metrics endpoint, zero latency, 64 in flight", 0, 64, 0, "", True),
    # Every call with a fresh request_id (AIP-155): its record in process,
    # then in Redis (one script round trip before the call, a write after).
    ("f: request_id records in process, zero latency, 1 in flight", 0, 1, 0, "", False, "memory"),
    ("f: request_id records in Redis, zero latency, 1 in flight", 0, 1, 0, "", False, "redis"),
    ("f: request_id records in process, zero latency, 64 in flight", 0, 64, 0, "", False, "memory"),
    ("f: request_id records in Redis, zero latency, 64 in flight", 0, 64, 0, "", False, "redis"),
    # The providers are all HTTPS: the upstream with TLS, connections and TLS
    # sessions kept (handshakes counted by the upstream).
    ("g: HTTPS upstream, zero latency, 64 in flight", 0, 64, 0, "", False, None, True),
    ("g: HTTPS upstream, 100 ms latency, 1000 in flight", 100, 1000, 0, "", False, None, True),
]


def openssl(*argv):
    subprocess.run(["openssl", *argv], check=True, capture_output=True)


def secure_setup(workdir, security):
    """A CA, the gateway's and a client's certificates, a token and a policy
    allowing only that token's principal; returns (config text, load flags):
    for "tls" server TLS only, for "full" also mTLS, the token and the policy."""
    d = os.path.join(workdir, "tls")
    if not os.path.isdir(d):
        os.makedirs(d)
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        openssl("req", "-x509", *ec, "-days", "2", "-keyout", f"{d}/ca.key",
                "-out", f"{d}/ca.pem", "-subj", "/CN=benchmark CA")
        for name, san in (("gateway", "IP:127.0.0.1"),
                          ("client", "URI:spiffe://benchmark/client")):
            openssl("req", *ec, "-keyout", f"{d}/{name}.key", "-out", f"{d}/{name}.csr",
                    "-subj", f"/CN={name}")
            with open(f"{d}/{name}.ext", "w") as f:
                f.write(f"subjectAltName={san}\n")
            openssl("x509", "-req", "-in", f"{d}/{name}.csr", "-CA", f"{d}/ca.pem",
                    "-CAkey", f"{d}/ca.key", "-CAcreateserial", "-days", "2",
                    "-extfile", f"{d}/{name}.ext", "-out", f"{d}/{name}.pem")
        with open(f"{d}/token", "w") as f:
            f.write(os.urandom(32).hex() + "\n")
        with open(f"{d}/token") as token, open(f"{d}/tokens.txt", "w") as out:
            subprocess.run([HASH_TOKEN, "benchmark"], stdin=token, stdout=out, check=True)
        with open(f"{d}/policy.json", "w") as f:
            json.dump({"name": "benchmark", "allow_rules": [{
                "name": "benchmark-deletes-dash-replenishment",
                "source": {"principals": ["token:benchmark"]},
                "request": {"paths": ["/linkgateway.v1.RegistrationService/DeleteRegistration"],
                            "providers": ["dash_replenishment"]}}]}, f)
    if security == "tls":
        return (f'tls {{ cert_file: "{d}/gateway.pem" key_file: "{d}/gateway.key" }} ',
                [f"--ca_file={d}/ca.pem"])
    config = (f'tls {{ cert_file: "{d}/gateway.pem" key_file: "{d}/gateway.key" '
              f'client_ca_file: "{d}/ca.pem" require_client_certificate: true }} '
              f'authentication {{ mtls: true token_file: "{d}/tokens.txt" }} '
              f'policy_file: "{d}/policy.json" ')
    flags = [f"--ca_file={d}/ca.pem", f"--cert_file={d}/client.pem",
             f"--key_file={d}/client.key", f"--token_file={d}/token"]
    return config, flags


def start(argv, marker="listening on 127.0.0.1:"):
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in process.stdout:
        if marker in line:
            port = int(line.strip().rsplit(":", 1)[1])
            # Keep draining output so the child never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
            return process, port
    raise SystemExit(f"{argv[0]} did not start")


def stop(process):
    process.terminate()
    process.wait(timeout=30)


def upstream_stats(port, ca=None):
    """The upstream's counters (over HTTPS, trusting `ca`, when it serves TLS)."""
    if ca is None:
        url, context = f"http://127.0.0.1:{port}/__stats", None
    else:
        url, context = f"https://127.0.0.1:{port}/__stats", ssl.create_default_context(cafile=ca)
    with urllib.request.urlopen(url, timeout=10, context=context) as r:
        return json.load(r)


class ProcessSampler(threading.Thread):
    """Samples a process's threads while it runs; reads peak RSS and CPU."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.max_threads, self.running = pid, 0, True

    def run(self):
        while self.running:
            try:
                with open(f"/proc/{self.pid}/status") as f:
                    for line in f:
                        if line.startswith("Threads:"):
                            self.max_threads = max(self.max_threads, int(line.split()[1]))
            except OSError:
                return
            time.sleep(0.2)

    def rss_kb(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def peak_rss_mb(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
        return 0.0

    def cpu_seconds(self):
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks


def load(mode, target, concurrency, args, flags=()):
    out = subprocess.run(
        [LOAD, f"--mode={mode}", f"--target={target}", f"--concurrency={concurrency}",
         f"--duration={args.duration}s", f"--warmup={args.warmup}s", *flags],
        capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(workdir):
    """A redis-server on a free loopback port, nothing persisted."""
    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no", "--dir", workdir],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in process.stdout:
        if "Ready to accept connections" in line:
            threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
            return process, port
    raise SystemExit("redis-server did not start")


def scenario(name, latency_ms, concurrency, fail_every, security, observability, args,
             workdir, records=None, https=False, run=0):
    upstream_argv = [UPSTREAM, f"--latency_ms={latency_ms}", f"--fail_every={fail_every}",
                     "--retry_after=0"]
    scheme, upstream_section, direct_flags = "http", "allow_plain_http: true", ["--timers"]
    ca = None
    if https:
        secure_setup(workdir, "tls")  # the CA, and a certificate for 127.0.0.1
        d = os.path.join(workdir, "tls")
        upstream_argv += [f"--tls_cert={d}/gateway.pem", f"--tls_key={d}/gateway.key"]
        scheme, upstream_section = "https", f'ca_bundle_file: "{d}/ca.pem"'
        ca = f"{d}/ca.pem"
        direct_flags.append(f"--upstream_ca_file={d}/ca.pem")
    # The gateway and its own upstream: fresh processes, so peaks are this scenario's.
    upstream, port = start(upstream_argv)
    config = os.path.join(workdir, f"gateway-{port}.textproto")
    listener, flags = (secure_setup(workdir, security) if security
                       else ("plaintext: true ", []))
    with open(config, "w") as f:
        f.write(f'upstream {{ {upstream_section} }}\n'
                f'dash_replenishment {{ endpoint: "{scheme}://127.0.0.1:{port}" }}\n'
                f'security {{ {listener}'
                f'audit {{ path: "{os.path.join(workdir, f"audit-{port}.jsonl")}" }} }}\n')
        if observability:
            f.write(f'observability {{ metrics_address: "127.0.0.1:0" access_log {{ enabled: true '
                    f'path: "{os.path.join(workdir, f"access-{port}.jsonl")}" }} }}\n')
        redis = None
        if records == "redis":
            redis, redis_port = start_redis(workdir)
            f.write(f'shared_state {{ address: "127.0.0.1:{redis_port}" }}\n')
    if records:
        flags = [*flags, "--request_ids"]
    gateway, gateway_port = start([GATEWAY, f"--config={config}", "--listen=127.0.0.1:0"],
                                  marker="linkgateway: listening on 127.0.0.1:")
    sampler = ProcessSampler(gateway.pid)
    sampler.start()
    cpu_before = sampler.cpu_seconds()
    idle_rss_kb = sampler.rss_kb()
    through = load("gateway", f"127.0.0.1:{gateway_port}", concurrency, args, flags)
    gateway_cpu = sampler.cpu_seconds() - cpu_before
    through["gateway_cpu_seconds"] = round(gateway_cpu, 2)
    through["cpu_us_per_call"] = round(gateway_cpu * 1e6 / max(through["all_calls"], 1), 1)
    through["gateway_peak_rss_mb"] = round(sampler.peak_rss_mb(), 1)
    through["rss_kb_per_call_in_flight"] = round(
        (sampler.peak_rss_mb() * 1024 - idle_rss_kb) / concurrency, 1)
    sampler.running = False
    through["gateway_max_threads"] = sampler.max_threads
    stats = upstream_stats(port, ca)
    through["upstream_connections"] = stats["connections"]
    through["tls_handshakes"], through["tls_resumed"] = stats["handshakes"], stats["resumed"]
    stop(gateway)
    stop(upstream)
    if redis is not None:
        stop(redis)

    upstream, port = start(upstream_argv)
    direct = load("direct", f"{scheme}://127.0.0.1:{port}/registration", concurrency, args,
                  direct_flags)
    stats = upstream_stats(port, ca)
    direct["upstream_connections"] = stats["connections"]
    direct["tls_handshakes"], direct["tls_resumed"] = stats["handshakes"], stats["resumed"]
    # The load generator's own CPU in direct mode: libcurl's cost per call.
    direct["cpu_us_per_call"] = round(direct["cpu_seconds"] * 1e6 / max(direct["all_calls"], 1), 1)
    stop(upstream)

    result = {"scenario": name, "upstream_latency_ms": latency_ms, "in_flight": concurrency,
              "gateway": through, "direct": direct}
    if not security:
        # gRPC's own cost per call at this concurrency (plaintext only).
        result["echo"] = echo(concurrency, args, run)
        floor = result["echo"]["cpu_us_per_call"] + direct["cpu_us_per_call"]
        result["cpu_ratio"] = round(through["cpu_us_per_call"] / floor, 2) if floor else None
    if latency_ms:
        result["littles_law_rps"] = concurrency / (latency_ms / 1000.0)
    return result


_echo_results = {}


def echo(concurrency, args, run):
    """The bare callback echo server under the same load: gRPC's floor
    (measured once per concurrency and run number)."""
    if (concurrency, run) in _echo_results:
        return _echo_results[(concurrency, run)]
    server, port = start([ECHO])
    sampler = ProcessSampler(server.pid)
    cpu_before = sampler.cpu_seconds()
    measured = load("gateway", f"127.0.0.1:{port}", concurrency, args)
    measured["cpu_us_per_call"] = round(
        (sampler.cpu_seconds() - cpu_before) * 1e6 / max(measured["all_calls"], 1), 1)
    stop(server)
    _echo_results[(concurrency, run)] = measured
    return measured


def cpu_table(results):
    """Gateway CPU per call against its two hops' (issue: ratio <= 1.2)."""
    lines = [
        "| scenario | gateway µs/call | echo server µs/call | direct libcurl µs/call "
        "| ratio (limit 1.2) | gateway RSS KB per call in flight | gateway threads "
        "| p50 gateway / echo + direct | TLS handshakes (resumed) / calls "
        "| transport timers late p50 / p99 / max |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        g, d, e = r["gateway"], r["direct"], r.get("echo")
        floor_p50 = (f"{g['p50_us'] / 1000:.2f} ms / {(e['p50_us'] + d['p50_us']) / 1000:.2f} ms"
                     if e else "")
        handshakes = (f"{g['tls_handshakes']} ({g['tls_resumed']}) / {g['all_calls']}"
                      if g.get("tls_handshakes") else "-")
        t = d.get("timer_late_us")
        timers = f"{t['p50']} / {t['p99']} / {t['max']} µs" if t else "-"
        lines.append(
            f"| {r['scenario']} | {g['cpu_us_per_call']} | {e['cpu_us_per_call'] if e else '-'} "
            f"| {d['cpu_us_per_call']} | {r.get('cpu_ratio') or '-'} "
            f"| {g['rss_kb_per_call_in_flight']} | {g['gateway_max_threads']} | {floor_p50} "
            f"| {handshakes} | {timers} |")
    return "\n".join(lines) + "\n"


def markdown(results, machine):
    lines = [
        f"Machine: {machine}. Each scenario: {results[0]['gateway']['seconds']:.0f} s measured "
        "after a warm-up; gateway and direct-libcurl baseline in the same run.",
        "",
        "| scenario | path | ok/s | vs direct | vs Little's law | p50 | p90 | p99 | max | errors "
        "| gateway peak RSS | gateway CPU s | gateway threads | upstream connections |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for path in ("gateway", "direct"):
            m = r[path]
            errors = {k: v for k, v in m["outcomes"].items() if k != "OK"}
            ratio = m["ok_per_second"] / max(r["direct"]["ok_per_second"], 1e-9)
            little = (f"{m['ok_per_second'] / r['littles_law_rps']:.0%}"
                      if "littles_law_rps" in r else "")
            lines.append(
                f"| {r['scenario'] if path == 'gateway' else ''} | {path} "
                f"| {m['ok_per_second']:.0f} | {ratio:.0%} | {little} "
                f"| {m['p50_us'] / 1000:.2f} ms | {m['p90_us'] / 1000:.2f} ms "
                f"| {m['p99_us'] / 1000:.2f} ms | {m['max_us'] / 1000:.1f} ms "
                f"| {json.dumps(errors) if errors else '-'} "
                f"| {m.get('gateway_peak_rss_mb', '')} | {m.get('gateway_cpu_seconds', '')} "
                f"| {m.get('gateway_max_threads', '')} | {m['upstream_connections']} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="measured seconds per run")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--out", default=os.environ.get("BUILD_WORKING_DIRECTORY", "."))
    parser.add_argument("--only", default="", help="run scenarios whose name contains this")
    parser.add_argument("--runs", type=int, default=3,
                        help="runs per scenario; the one with the median gateway CPU per call "
                             "is reported")
    args = parser.parse_args()

    # 2000 in flight means thousands of sockets in each process.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    machine = f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}"
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        for name, latency_ms, concurrency, fail_every, security, *rest in SCENARIOS:
            if args.only and args.only not in name:
                continue
            print(f"running {name} ...", file=sys.stderr, flush=True)
            observability = bool(rest and rest[0])
            records = rest[1] if len(rest) > 1 else None
            https = len(rest) > 2 and rest[2]
            runs = [scenario(name, latency_ms, concurrency, fail_every, security,
                             observability, args, workdir, records, https, run)
                    for run in range(max(args.runs, 1))]
            runs.sort(key=lambda r: r["gateway"]["cpu_us_per_call"])
            median = runs[len(runs) // 2]
            median["runs"] = len(runs)
            median["gateway_cpu_us_per_call_all_runs"] = [r["gateway"]["cpu_us_per_call"]
                                                         for r in runs]
            results.append(median)
    table = markdown(results, machine) + "\n" + cpu_table(results)
    print(table)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"machine": machine, "results": results}, f, indent=2)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(table)


if __name__ == "__main__":
    main()
