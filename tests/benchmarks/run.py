"""The load benchmark: the real gateway binary, driven by the async gRPC
load generator, calling a minimal loopback upstream through the real Dash
Replenishment adapter path (retries, transport, mapping) — and, as baselines
in the same run, the same load generator calling the upstream directly with
libcurl at the same concurrency, a bare gRPC echo server (gRPC's own cost)
and a Go peer (go_peer/: grpc-go and net/http doing the same hop).

    bazel run -c opt //tests/benchmarks:run -- [--duration 10] [--out DIR]
        [--only TEXT] [--runs 3] [--perf DIR] [--gateway BINARY] [--event_loops N]

Prints Markdown tables: every path of every scenario, the gateway's CPU per
call against its floors, the gateway beside the Go peer (throughput, p50,
p99, CPU seconds per 1,000 calls, peak RSS), and last the performance issue's
goals, each met or missed with its margin; writes results.json and results.md to --out
(default: the current directory of `bazel run`, i.e. the workspace).
Everything runs on 127.0.0.1.
"""

import argparse
import dataclasses
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
GO_PEER = os.path.join(HERE, "go_peer", "go_peer")

@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    latency_ms: int               # the upstream's, before each answer
    in_flight: int
    fail_every: int = 0           # the upstream answers every Nth call 503
    security: str = ""            # "", "tls" or "full" (mTLS + token + policy)
    observability: bool = False   # the access log and the metrics endpoint
    records: str = None           # request_id records: None, "memory" or "redis"
    https: bool = False           # an HTTPS upstream
    audit: bool = True            # the audit trail to a file (the default set)
    peer: bool = False            # the Go peer under the same load too


# The performance issue's goals are read from these names (goals() below).
A = "a: zero latency, 64 in flight"
A_NO_AUDIT = "a: zero latency, 64 in flight, audit not configured"
B100 = "b: 100 ms latency, 100 in flight"
B1000 = "b: 100 ms latency, 1000 in flight"
B1000_NO_AUDIT = "b: 100 ms latency, 1000 in flight, audit not configured"
B2000 = "b: 100 ms latency, 2000 in flight"
H = "h: zero latency, 1 in flight"
H_NO_AUDIT = "h: zero latency, 1 in flight, audit not configured"

SCENARIOS = [
    # Every call is a delete: with the audit trail (the default feature set)
    # each is answered once its record is on disk; "audit not configured"
    # sends the records to the log instead (not durable).
    Scenario(A, 0, 64, peer=True),
    Scenario(A_NO_AUDIT, 0, 64, audit=False, peer=True),
    Scenario(B100, 100, 100),
    Scenario(B1000, 100, 1000, peer=True),
    Scenario(B1000_NO_AUDIT, 100, 1000, audit=False, peer=True),
    Scenario(B2000, 100, 2000),
    Scenario("c: 503 + Retry-After to half the calls, 64 in flight", 0, 64, fail_every=2),
    # Scenario a with TLS only (callers anonymous), then with a client
    # certificate, a bearer token and a policy: what each adds per call.
    Scenario("d: TLS, zero latency, 64 in flight", 0, 64, security="tls"),
    Scenario("d: mTLS + token + policy, zero latency, 64 in flight", 0, 64, security="full"),
    Scenario("d: mTLS + token + policy, 100 ms latency, 100 in flight", 100, 100,
             security="full"),
    # Scenario a with the JSON access log to a file and the metrics endpoint
    # on (metrics are always collected; the endpoint only serves them).
    Scenario("e: access log + metrics endpoint, zero latency, 64 in flight", 0, 64,
             observability=True),
    # Every call with a fresh request_id (AIP-155): its record in process,
    # then in Redis (one script round trip before the call, a write after).
    Scenario("f: request_id records in process, zero latency, 1 in flight", 0, 1,
             records="memory"),
    Scenario("f: request_id records in Redis, zero latency, 1 in flight", 0, 1, records="redis"),
    Scenario("f: request_id records in process, zero latency, 64 in flight", 0, 64,
             records="memory"),
    Scenario("f: request_id records in Redis, zero latency, 64 in flight", 0, 64,
             records="redis"),
    # The providers are all HTTPS: the upstream with TLS, connections and TLS
    # sessions kept (handshakes counted by the upstream).
    Scenario("g: HTTPS upstream, zero latency, 64 in flight", 0, 64, https=True),
    Scenario("g: HTTPS upstream, 100 ms latency, 1000 in flight", 100, 1000, https=True),
    # One call at a time: the latency the gateway adds to its two hops.
    Scenario(H, 0, 1),
    Scenario(H_NO_AUDIT, 0, 1, audit=False),
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


def start(argv, marker="listening on 127.0.0.1:", output=None):
    """Starts `argv` and returns (process, port) once it printed `marker` and
    its port. Its output goes to the file `output` when given (a gateway
    that logs every call's audit record must not wait on a pipe), else to a
    pipe that a thread keeps draining."""
    if output is not None:
        with open(output, "w") as out:
            process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            with open(output, errors="replace") as f:
                for line in f:
                    if marker in line and line.endswith("\n"):
                        return process, int(line.strip().rsplit(":", 1)[1])
            time.sleep(0.05)
        process.kill()
        raise SystemExit(f"{argv[0]} did not start; its output is in {output}")
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


def measured_server(process, port, concurrency, args, flags=(), perf=None):
    """Drives the server `process` (listening on `port`) with the load
    generator; its CPU per call (every call of the run, warm-up included),
    peak RSS, RSS per call in flight above idle and most threads. With
    `perf` (a file name) the measured seconds are recorded with perf."""
    sampler = ProcessSampler(process.pid)
    sampler.start()
    cpu_before = sampler.cpu_seconds()
    idle_rss_kb = sampler.rss_kb()
    recorder = None
    if perf is not None:
        recorder = threading.Thread(target=record_profile, args=(process.pid, perf, args),
                                    daemon=True)
        recorder.start()
    measured = load("gateway", f"127.0.0.1:{port}", concurrency, args, flags)
    if recorder is not None:
        recorder.join()
    cpu = sampler.cpu_seconds() - cpu_before
    measured["gateway_cpu_seconds"] = round(cpu, 2)
    measured["cpu_us_per_call"] = round(cpu * 1e6 / max(measured["all_calls"], 1), 1)
    measured["gateway_peak_rss_mb"] = round(sampler.peak_rss_mb(), 1)
    measured["rss_kb_per_call_in_flight"] = round(
        (sampler.peak_rss_mb() * 1024 - idle_rss_kb) / concurrency, 1)
    sampler.running = False
    sampler.join()
    measured["gateway_max_threads"] = sampler.max_threads
    return measured


def record_profile(pid, path, args):
    """`perf record -F 999 -g` of `pid` over the measured seconds."""
    time.sleep(args.warmup + 0.2)
    subprocess.run(["perf", "record", "-F", "999", "-g", "-p", str(pid), "-o", path, "--",
                    "sleep", str(max(args.duration - 0.5, 1))],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def scenario(sc, args, workdir, run=0):
    upstream_argv = [UPSTREAM, f"--latency_ms={sc.latency_ms}", f"--fail_every={sc.fail_every}",
                     "--retry_after=0"]
    scheme, upstream_section, direct_flags = "http", "allow_plain_http: true", ["--timers"]
    ca = None
    if sc.https:
        secure_setup(workdir, "tls")  # the CA, and a certificate for 127.0.0.1
        d = os.path.join(workdir, "tls")
        upstream_argv += [f"--tls_cert={d}/gateway.pem", f"--tls_key={d}/gateway.key"]
        scheme, upstream_section = "https", f'ca_bundle_file: "{d}/ca.pem"'
        ca = f"{d}/ca.pem"
        direct_flags.append(f"--upstream_ca_file={d}/ca.pem")
    # The gateway and its own upstream: fresh processes, so peaks are this scenario's.
    upstream, port = start(upstream_argv)
    config = os.path.join(workdir, f"gateway-{port}.textproto")
    listener, flags = (secure_setup(workdir, sc.security) if sc.security
                       else ("plaintext: true ", []))
    audit = (f'audit {{ path: "{os.path.join(workdir, f"audit-{port}.jsonl")}" }} '
             if sc.audit else "")
    if args.event_loops:
        upstream_section += f" event_loops: {args.event_loops}"
    with open(config, "w") as f:
        f.write(f'upstream {{ {upstream_section} }}\n'
                f'dash_replenishment {{ endpoint: "{scheme}://127.0.0.1:{port}" }}\n'
                f'security {{ {listener}{audit}}}\n')
        if sc.observability:
            f.write(f'observability {{ metrics_address: "127.0.0.1:0" access_log {{ enabled: true '
                    f'path: "{os.path.join(workdir, f"access-{port}.jsonl")}" }} }}\n')
        redis = None
        if sc.records == "redis":
            redis, redis_port = start_redis(workdir)
            f.write(f'shared_state {{ address: "127.0.0.1:{redis_port}" }}\n')
    if sc.records:
        flags = [*flags, "--request_ids"]
    gateway, gateway_port = start([args.gateway, f"--config={config}", "--listen=127.0.0.1:0"],
                                  marker="linkgateway: listening on 127.0.0.1:",
                                  output=os.path.join(workdir, f"gateway-{port}.log"))
    perf = None
    if args.perf:
        os.makedirs(args.perf, exist_ok=True)
        perf = os.path.join(args.perf, f"{sc.name.split(':')[0]}-{sc.in_flight}"
                            f"{'-no-audit' if not sc.audit else ''}-run{run}.perf.data")
    through = measured_server(gateway, gateway_port, sc.in_flight, args, flags, perf)
    stats = upstream_stats(port, ca)
    through["upstream_connections"] = stats["connections"]
    through["tls_handshakes"], through["tls_resumed"] = stats["handshakes"], stats["resumed"]
    stop(gateway)
    stop(upstream)
    if redis is not None:
        stop(redis)

    upstream, port = start(upstream_argv)
    direct = load("direct", f"{scheme}://127.0.0.1:{port}/registration", sc.in_flight, args,
                  direct_flags)
    stats = upstream_stats(port, ca)
    direct["upstream_connections"] = stats["connections"]
    direct["tls_handshakes"], direct["tls_resumed"] = stats["handshakes"], stats["resumed"]
    # The load generator's own CPU in direct mode: libcurl's cost per call.
    direct["cpu_us_per_call"] = round(direct["cpu_seconds"] * 1e6 / max(direct["all_calls"], 1), 1)
    stop(upstream)

    result = {"scenario": sc.name, "upstream_latency_ms": sc.latency_ms,
              "in_flight": sc.in_flight, "audit": sc.audit, "gateway": through, "direct": direct}
    if not sc.security:
        # gRPC's own cost per call at this concurrency (plaintext only).
        result["echo"] = echo(sc.in_flight, args, run)
        floor = result["echo"]["cpu_us_per_call"] + direct["cpu_us_per_call"]
        result["cpu_ratio"] = round(through["cpu_us_per_call"] / floor, 2) if floor else None
    if sc.peer:
        # The design's floor, one step at a time (echo_server.cc --shape).
        for shape in ("stream", "stream_loop"):
            result[f"echo_{shape}"] = echo(sc.in_flight, args, run, shape)
        result["go"] = go_peer(sc, args, run)
        result["go_ratio"] = round(
            through["cpu_us_per_call"] / max(result["go"]["cpu_us_per_call"], 1e-9), 2)
    if sc.latency_ms:
        result["littles_law_rps"] = sc.in_flight / (sc.latency_ms / 1000.0)
    return result


_echo_results = {}


def echo(concurrency, args, run, shape="unary"):
    """The bare callback echo server under the same load: gRPC's floor
    (measured once per concurrency, run number and shape)."""
    key = (concurrency, run, shape)
    if key in _echo_results:
        return _echo_results[key]
    server, port = start([ECHO, f"--shape={shape}"])
    measured = measured_server(server, port, concurrency, args)
    stop(server)
    _echo_results[key] = measured
    return measured


_go_results = {}


def go_peer(sc, args, run):
    """The Go peer (go_peer/main.go) under the same load, calling its own
    upstream of the same latency (measured once per latency, concurrency
    and run number)."""
    key = (sc.latency_ms, sc.in_flight, sc.fail_every, run)
    if key in _go_results:
        return _go_results[key]
    upstream, port = start([UPSTREAM, f"--latency_ms={sc.latency_ms}",
                            f"--fail_every={sc.fail_every}", "--retry_after=0"])
    peer, peer_port = start([GO_PEER, f"--upstream=http://127.0.0.1:{port}"])
    measured = measured_server(peer, peer_port, sc.in_flight, args)
    measured["upstream_connections"] = upstream_stats(port)["connections"]
    stop(peer)
    stop(upstream)
    _go_results[key] = measured
    return measured


def fdatasync_us(directory, count=200):
    """p50 and p90 of one append + fdatasync on `directory`'s file system
    (where the audit trail was written), in microseconds."""
    path = os.path.join(directory, "fdatasync-probe")
    line = b"x" * 400 + b"\n"
    samples = []
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        for _ in range(count):
            began = time.perf_counter()
            os.write(fd, line)
            os.fdatasync(fd)
            samples.append((time.perf_counter() - began) * 1e6)
    finally:
        os.close(fd)
        os.unlink(path)
    samples.sort()
    return {"p50": round(samples[len(samples) // 2]), "p90": round(samples[len(samples) * 9 // 10])}


def cpu_table(results):
    """Gateway CPU per call against its two hops' and the Go peer's."""
    lines = [
        "| scenario | gateway µs/call | echo server µs/call | direct libcurl µs/call "
        "| ratio to echo + direct | Go peer µs/call | ratio to Go peer "
        "| gateway RSS KB per call in flight | gateway threads "
        "| p50 gateway / echo + direct | TLS handshakes (resumed) / calls "
        "| transport timers late p50 / p99 / max | load average |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        g, d, e, go = r["gateway"], r["direct"], r.get("echo"), r.get("go")
        floor_p50 = (f"{g['p50_us'] / 1000:.2f} ms / {(e['p50_us'] + d['p50_us']) / 1000:.2f} ms"
                     if e else "")
        handshakes = (f"{g['tls_handshakes']} ({g['tls_resumed']}) / {g['all_calls']}"
                      if g.get("tls_handshakes") else "-")
        t = d.get("timer_late_us")
        timers = f"{t['p50']} / {t['p99']} / {t['max']} µs" if t else "-"
        lines.append(
            f"| {r['scenario']} | {g['cpu_us_per_call']} | {e['cpu_us_per_call'] if e else '-'} "
            f"| {d['cpu_us_per_call']} | {r.get('cpu_ratio') or '-'} "
            f"| {go['cpu_us_per_call'] if go else '-'} | {r.get('go_ratio') or '-'} "
            f"| {g['rss_kb_per_call_in_flight']} | {g['gateway_max_threads']} | {floor_p50} "
            f"| {handshakes} | {timers} | {r.get('load_average', '')} |")
    return "\n".join(lines) + "\n"


def markdown(results, machine):
    lines = [
        f"Machine: {machine}. Each scenario: {results[0]['gateway']['seconds']:.0f} s measured "
        "after a warm-up; the gateway, the direct-libcurl baseline and the Go peer in the same "
        "run.",
        "",
        "| scenario | path | ok/s | vs direct | vs Little's law | p50 | p90 | p99 | max | errors "
        "| peak RSS MB | CPU s | threads | upstream connections |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for path, label in (("gateway", "gateway"), ("go", "Go peer"), ("direct", "direct")):
            m = r.get(path)
            if m is None:
                continue
            errors = {k: v for k, v in m["outcomes"].items() if k != "OK"}
            ratio = m["ok_per_second"] / max(r["direct"]["ok_per_second"], 1e-9)
            little = (f"{m['ok_per_second'] / r['littles_law_rps']:.0%}"
                      if "littles_law_rps" in r else "")
            lines.append(
                f"| {r['scenario'] if path == 'gateway' else ''} | {label} "
                f"| {m['ok_per_second']:.0f} | {ratio:.0%} | {little} "
                f"| {m['p50_us'] / 1000:.2f} ms | {m['p90_us'] / 1000:.2f} ms "
                f"| {m['p99_us'] / 1000:.2f} ms | {m['max_us'] / 1000:.1f} ms "
                f"| {json.dumps(errors) if errors else '-'} "
                f"| {m.get('gateway_peak_rss_mb', '')} | {m.get('gateway_cpu_seconds', '')} "
                f"| {m.get('gateway_max_threads', '')} | {m['upstream_connections']} |")
    return "\n".join(lines) + "\n"


def peer_table(results):
    """The gateway beside the Go peer, scenario by scenario."""
    lines = [
        "| scenario | service | ok/s | p50 | p99 | CPU s per 1,000 calls | peak RSS MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if "go" not in r:
            continue
        for path, label in (("gateway", "linkgateway"), ("go", "Go peer")):
            m = r[path]
            lines.append(
                f"| {r['scenario'] if path == 'gateway' else ''} | {label} "
                f"| {m['ok_per_second']:.0f} | {m['p50_us'] / 1000:.2f} ms "
                f"| {m['p99_us'] / 1000:.2f} ms | {m['cpu_us_per_call'] / 1000:.3f} "
                f"| {m['gateway_peak_rss_mb']} |")
    return "\n".join(lines) + "\n"


def floor_table(results):
    """What the gateway's design costs before any of its own work: gRPC's
    unary echo, the same registered as the gateway registers its methods
    (a stream handed over at its start), then answered from the transport's
    event loop; plus libcurl's call. CPU µs per call, each beside the
    gateway and the Go peer of the same run."""
    lines = [
        "| scenario | unary echo | + stream at its start | + answered from the transport loop "
        "| + libcurl (direct) | the design's floor | gateway | gateway over the floor "
        "| Go peer | floor / Go peer |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if "echo_stream_loop" not in r:
            continue
        unary, stream, loop = (r[k]["cpu_us_per_call"]
                               for k in ("echo", "echo_stream", "echo_stream_loop"))
        direct, gateway, go = (r[k]["cpu_us_per_call"] for k in ("direct", "gateway", "go"))
        floor = loop + direct
        lines.append(
            f"| {r['scenario']} | {unary} | {stream} ({stream - unary:+.1f}) "
            f"| {loop} ({loop - stream:+.1f}) | {direct} | {floor:.1f} | {gateway} "
            f"| {gateway - floor:+.1f} | {go} | {floor / max(go, 1e-9):.2f} |")
    return "\n".join(lines) + "\n"


def added_latency_us(r):
    """The gateway's p50 over its two hops' (echo + direct) at the same load."""
    return r["gateway"]["p50_us"] - (r["echo"]["p50_us"] + r["direct"]["p50_us"])


def goals(results, fsync):
    """The performance issue's goals, from the scenarios this run has:
    [(goal, measured, limit, met, margin)]; margins are how far inside
    (positive) or outside (negative) the limit the figure is."""
    by = {r["scenario"]: r for r in results}
    rows = []

    def at_most(goal, measured, limit, unit="", digits=2):
        margin = limit - measured
        rows.append((goal, f"{measured:.{digits}f}{unit}", f"≤ {limit:.{digits}f}{unit}",
                     margin >= 0, f"{margin:+.{digits}f}{unit}"))

    def at_least(goal, measured, limit, unit="", digits=2):
        margin = measured - limit
        rows.append((goal, f"{measured:.{digits}f}{unit}", f"≥ {limit:.{digits}f}{unit}",
                     margin >= 0, f"{margin:+.{digits}f}{unit}"))

    for name, label in ((A_NO_AUDIT, "64 in flight, audit not configured"),
                        (B1000_NO_AUDIT, "1000 in flight, audit not configured"),
                        (A, "64 in flight, default (audit on)"),
                        (B1000, "1000 in flight, default (audit on)")):
        if name in by and "go_ratio" in by[name]:
            r = by[name]
            at_most(f"CPU per call ≤ 0.7 × the Go peer's, {label} "
                    f"({r['gateway']['cpu_us_per_call']} / {r['go']['cpu_us_per_call']} µs)",
                    r["go_ratio"], 0.7)
    if A_NO_AUDIT in by:
        at_most("CPU per call ≤ 1.15 × (echo + direct libcurl), 64 in flight, audit not "
                "configured", by[A_NO_AUDIT]["cpu_ratio"], 1.15)
    if A in by:
        at_most("CPU per call ≤ 1.3 × (echo + direct libcurl), 64 in flight, default (audit on, "
                "group commit)", by[A]["cpu_ratio"], 1.3)
    if B1000 in by:
        r = by[B1000]
        at_least("1000 in flight at 100 ms: share of Little's law",
                 100 * r["gateway"]["ok_per_second"] / r["littles_law_rps"], 90, " %", 1)
        at_most(f"1000 in flight at 100 ms: p50 ≤ direct p50 + 5 ms "
                f"(direct {r['direct']['p50_us'] / 1000:.2f} ms)",
                r["gateway"]["p50_us"] / 1000, r["direct"]["p50_us"] / 1000 + 5, " ms")
    if A in by and B2000 in by:
        at_most(f"CPU per call at 2000 in flight ≤ 1.1 × at 64 "
                f"({by[B2000]['gateway']['cpu_us_per_call']} / "
                f"{by[A]['gateway']['cpu_us_per_call']} µs)",
                by[B2000]["gateway"]["cpu_us_per_call"] / by[A]["gateway"]["cpu_us_per_call"], 1.1)
    if B2000 in by:
        at_most("RSS per call in flight at 2000 in flight", 
                by[B2000]["gateway"]["rss_kb_per_call_in_flight"], 25, " KB", 1)
    same_config = [by[n] for n in (H, A, B100, B1000, B2000) if n in by]
    if len(same_config) > 1:
        threads = {r["in_flight"]: r["gateway"]["gateway_max_threads"] for r in same_config}
        most, least = max(threads.values()), min(threads.values())
        rows.append(("threads independent of load (in flight: threads)",
                     ", ".join(f"{n}: {t}" for n, t in sorted(threads.items())), "the same",
                     most == least, f"{least - most:+d} threads"))
    if H_NO_AUDIT in by:
        at_most("added latency at 1 in flight (p50 over echo + direct), audit not configured",
                added_latency_us(by[H_NO_AUDIT]), 100, " µs", 0)
    if H in by and fsync:
        at_most(f"added latency at 1 in flight, audit on: ≤ 100 µs + one fdatasync "
                f"(p50 {fsync['p50']} µs on this disk)",
                added_latency_us(by[H]), 100 + fsync["p50"], " µs", 0)
    return rows


def goals_table(rows):
    lines = ["| goal | measured | limit | met | margin |", "|---|---|---|---|---|"]
    for goal, measured, limit, met, margin in rows:
        lines.append(f"| {goal} | {measured} | {limit} | {'met' if met else 'missed'} "
                     f"| {margin} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="measured seconds per run")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--out", default=os.environ.get("BUILD_WORKING_DIRECTORY", "."))
    parser.add_argument("--only", default="",
                        help="run scenarios whose name contains this (alternatives split by |)")
    parser.add_argument("--runs", type=int, default=3,
                        help="runs per scenario; the one with the median gateway CPU per call "
                             "is reported")
    parser.add_argument("--perf", default="",
                        help="record the gateway of every run with `perf record -F 999 -g` "
                             "into this directory")
    parser.add_argument("--gateway", default=GATEWAY,
                        help="benchmark this gateway binary (e.g. an earlier build, for "
                             "before/after figures)")
    parser.add_argument("--event_loops", type=int, default=0,
                        help="the gateway's upstream.event_loops (0: its default)")
    args = parser.parse_args()
    args.gateway = os.path.abspath(os.path.join(
        os.environ.get("BUILD_WORKING_DIRECTORY", "."), args.gateway))
    if args.perf:
        args.perf = os.path.abspath(os.path.join(
            os.environ.get("BUILD_WORKING_DIRECTORY", "."), args.perf))

    # 2000 in flight means thousands of sockets in each process.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    machine = f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}"
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        for sc in SCENARIOS:
            if args.only and not any(o in sc.name for o in args.only.split("|")):
                continue
            print(f"running {sc.name} ...", file=sys.stderr, flush=True)
            load_average = os.getloadavg()[0]  # others' work on this machine
            runs = [scenario(sc, args, workdir, run) for run in range(max(args.runs, 1))]
            runs.sort(key=lambda r: r["gateway"]["cpu_us_per_call"])
            median = runs[len(runs) // 2]
            median["runs"] = len(runs)
            median["load_average"] = round(load_average, 2)
            for path in ("gateway", "go", "echo", "echo_stream", "echo_stream_loop", "direct"):
                if path in median:
                    median[f"{path}_cpu_us_per_call_all_runs"] = sorted(
                        r[path]["cpu_us_per_call"] for r in runs)
            # Ratios compare processes of the same run: the median of them.
            for ratio in ("cpu_ratio", "go_ratio"):
                if median.get(ratio) is not None:
                    median[f"{ratio}_all_runs"] = sorted(r[ratio] for r in runs)
                    median[ratio] = median[f"{ratio}_all_runs"][len(runs) // 2]
            if sc.audit:
                # Where the audit trail was written, right after it was.
                median["fdatasync_us"] = fdatasync_us(workdir)
            results.append(median)
        # What one disk flush costs: the median over the audited scenarios
        # (the disk is shared with the rest of the machine).
        flushes = sorted((r["fdatasync_us"] for r in results if "fdatasync_us" in r),
                         key=lambda f: f["p50"])
        fsync = flushes[len(flushes) // 2] if flushes else None
    table = (markdown(results, machine) + "\n" + cpu_table(results) + "\n" +
             (peer_table(results) + "\n" + floor_table(results) + "\n"
              if any("go" in r for r in results) else "") +
             (f"One append + fdatasync where the audit trail was written (measured after "
              f"each audited scenario; the median): p50 {fsync['p50']} µs, "
              f"p90 {fsync['p90']} µs.\n\n" if fsync else "") +
             goals_table(goals(results, fsync)))
    print(table)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"machine": machine, "fdatasync_us": fsync, "results": results}, f, indent=2)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(table)


if __name__ == "__main__":
    main()
