"""Shared plumbing for the fake upstreams: a real HTTPS server on 127.0.0.1.

An emulator subclasses `EmulatorHandler` (implementing `route`) and
`EmulatorState`, then calls `serve(...)`. The server picks a free port and
prints "listening on 127.0.0.1:<port>" once it accepts connections; test
harnesses wait for that line. Only the Python standard library is used for
HTTP and TLS.

Every emulator records the requests it gets and can be steered by tests
through POST /__emulator/<verb>:
  scenarios  {"path": regex, "request": regex, "status", "body", "headers",
              "delayMs", "drop", "dropResponse", "malformed", "fault", "times",
              "ttlMs"} forces the next matching requests' outcome (times -1 =
             always, until ttlMs passes if given); "path" is searched in the
             path, "request" in the request's text (REQUEST_TEXT); "fault" is
             one of FAULTS below
  count      {"request": regex}: how many recorded requests' text matches
  forget     {"request": regex}: drop the scenarios with this "request"
  requests   the recorded requests (with --keep-requests-s, only the last
             seconds' worth); stats: counts by status, requests ever seen;
             reset: forget all;
  clear      forget scenarios and recorded requests, keep seeded state
plus the emulator's own verbs (seeding state).

`--alt-cert NAME=CERT:KEY` (repeatable) serves the same emulator on one more
port per certificate (printed as "alt NAME serves 127.0.0.1:<port>" before
the main line), for TLS faults: an untrusted, expired or wrong-host
certificate.

`--plain-http` serves plain HTTP instead (no --cert, --key): for the
services AWS itself serves so, instance metadata and the container
credentials endpoint.
"""

import argparse
import http.server
import json
import re
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time

# Faults a scenario can play after reading the request. Every wait is
# bounded (FAULT_LIMIT_S) so a client that never gives up cannot pin a thread.
FAULTS = {
    "reset",          # no answer: the connection is reset (RST)
    "resetMidBody",   # status line, headers and half the body, then RST
    "hang",           # no answer until the client goes away
    "trickle",        # a 200 whose body arrives one byte per 200 ms
    "oversize",       # a 200 with a valid JSON body of "sizeBytes" (2 MiB)
}
FAULT_LIMIT_S = 120


class EmulatorServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(self, address, handler, state):
        super().__init__(address, handler)
        self.state = state
        self.connections = 0
        self._connections_lock = threading.Lock()

    def get_request(self):
        sock, addr = super().get_request()
        with self._connections_lock:
            self.connections += 1
        return sock, addr


class EmulatorState:
    """Test-visible state. Subclasses add theirs in reset()."""

    def __init__(self):
        # Re-entrant: handlers answer while holding it.
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        self.scenarios = []
        self.requests = []
        self.status_counts = {}
        self.request_count = 0

    def count(self, key):
        """Counts an event for /__emulator/stats' statusCounts (e.g.
        "throttled": a call refused by the service's rate limit, whatever
        status says so)."""
        with self.lock:
            self.status_counts[key] = self.status_counts.get(key, 0) + 1


class EmulatorHandler(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, like the real services."""

    protocol_version = "HTTP/1.1"
    server_version = "linkgateway-emulator"
    # Content type of forced scenario bodies.
    scenario_content_type = "application/json"

    def log_message(self, fmt, *args):  # keep test logs quiet
        pass

    @property
    def state(self):
        return self.server.state

    # -- to implement ---------------------------------------------------------
    def route(self, path, body):
        """Answers a request for the emulated service."""
        raise NotImplementedError

    def control(self, verb, data):
        """Emulator-specific /__emulator/<verb>; return False if unknown."""
        return False

    def scenario_headers(self):
        """Headers every forced scenario answer carries (e.g. a request id)."""
        return {}

    # -- plumbing -------------------------------------------------------------
    def handle_any(self):
        body = self.read_body()
        path = self.path.split("?", 1)[0]
        if path.startswith("/__emulator/"):
            return self.base_control(path[len("/__emulator/"):], body)
        record = {"method": self.command, "path": self.path, "at": time.time(),
                  "client": self.client_address[0],
                  "headers": {k.lower(): v for k, v in self.headers.items()},
                  "body": body.decode("utf-8", "replace")}
        record["text"] = request_text(record)
        with self.state.lock:
            self.state.request_count += 1
            self.state.requests.append(record)
            keep = getattr(self.server, "keep_requests_s", None)
            if keep is not None:
                while self.state.requests and self.state.requests[0]["at"] < record["at"] - keep:
                    self.state.requests.pop(0)
            scenario = self.take_scenario(path, record["text"])
        if scenario is not None and self.play(scenario):
            return
        try:
            self.route(path, body)
        except Exception as e:  # a bug in the emulator must be visible, not a hang
            self.reply(500, {"message": f"emulator error: {e!r}"})

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = handle_any

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def drop(self):
        """Closes the connection without an answer."""
        self.close_connection = True
        try:
            self.connection.shutdown(2)
        except OSError:
            pass

    def send(self, status, body=b"", headers=None, content_type=None):
        if getattr(self, "drop_response", False):
            self.drop_response = False
            return self.drop()
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            content_type = content_type or "application/json"
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def reply(self, status, body=b"", headers=None, content_type=None):
        """send() that counts the status for /__emulator/stats."""
        with self.state.lock:
            counts = self.state.status_counts
            counts[str(status)] = counts.get(str(status), 0) + 1
        self.send(status, body, headers, content_type)

    def take_scenario(self, path, text):
        now = time.monotonic()
        self.state.scenarios = [s for s in self.state.scenarios
                                if s.setdefault("until", now + s.get("ttlMs", 1e12) / 1e3) > now]
        for scenario in self.state.scenarios:
            times = scenario.get("times", 1)
            if (times != 0 and re.search(scenario.get("path", ""), path)
                    and re.search(scenario.get("request", ""), text)):
                if times > 0:
                    scenario["times"] = times - 1
                return dict(scenario)
        return None

    def play(self, scenario):
        """Plays a forced scenario; False means "answer normally" (after it)."""
        if scenario.get("delayMs"):
            time.sleep(scenario["delayMs"] / 1000.0)
        if scenario.get("drop"):
            self.drop()
            return True
        if scenario.get("fault"):
            self.play_fault(scenario)
            return True
        if scenario.get("dropResponse"):
            self.drop_response = True  # process the request, then lose the answer
            return False
        if "status" not in scenario:
            return False
        headers = self.scenario_headers()
        headers.update(scenario.get("headers", {}))
        body = scenario.get("body", b"")
        if scenario.get("malformed"):
            body = '{"errors": [ {"code": '
        self.reply(scenario["status"], body, headers,
                   scenario.get("contentType", self.scenario_content_type if body else None))
        return True

    def reset_connection(self):
        """Closes with RST: SO_LINGER 0, no FIN."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def wait_for_client_to_leave(self, deadline):
        self.connection.settimeout(0.2)
        while time.monotonic() < deadline:
            try:
                if not self.connection.recv(1024):
                    return
            except socket.timeout:
                continue
            except (OSError, ssl.SSLError):
                return

    def play_fault(self, scenario):
        fault = scenario["fault"]
        if fault not in FAULTS:
            return self.reply(500, {"message": f"emulator: unknown fault {fault}"})
        with self.state.lock:
            counts = self.state.status_counts
            counts[fault] = counts.get(fault, 0) + 1
        deadline = time.monotonic() + FAULT_LIMIT_S
        body = json.dumps(scenario.get("body", {"padding": ""})).encode()
        if fault == "reset":
            return self.reset_connection()
        if fault == "hang":
            self.close_connection = True
            return self.wait_for_client_to_leave(deadline)
        if fault == "oversize":
            size = int(scenario.get("sizeBytes", 2 << 20))
            body = b'{"padding": "' + b"x" * size + b'"}'
        if fault == "trickle":  # longer than FAULT_LIMIT_S at one byte per 200 ms
            body = b'{"padding": "' + b"x" * (FAULT_LIMIT_S * 5) + b'"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            if fault == "resetMidBody":
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                return self.reset_connection()
            if fault == "oversize":
                self.wfile.write(body)
                return
            # trickle
            self.close_connection = True
            for byte in body:
                if time.monotonic() >= deadline:
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            self.close_connection = True

    def base_control(self, verb, body):
        data = json.loads(body or b"{}")
        state = self.state
        with state.lock:
            if verb == "scenarios":
                state.scenarios.append(data)
                return self.send(200, {})
            if verb == "requests":
                return self.send(200, [{k: v for k, v in r.items() if k != "text"}
                                       for r in state.requests])
            if verb == "count":
                pattern = re.compile(data.get("request", ""))
                return self.send(200, {"count": sum(1 for r in state.requests
                                                    if pattern.search(r["text"]))})
            if verb == "stats":
                return self.send(200, {"statusCounts": state.status_counts,
                                       "connections": self.server.connections,
                                       "requests": state.request_count})
            if verb == "reset":
                state.reset()
                return self.send(200, {})
            if verb == "forget":
                state.scenarios = [s for s in state.scenarios
                                   if s.get("request") != data.get("request")]
                return self.send(200, {})
            if verb == "clear":
                state.scenarios = []
                state.requests = []
                return self.send(200, {})
            if self.control(verb, data) is not False:
                return
        self.send(404, {"message": f"unknown control verb {verb}"})


def request_text(record):
    """What a scenario's "request" regex searches: the request line, the
    headers and the body, one per line."""
    headers = "\n".join(f"{k}: {v}" for k, v in record["headers"].items())
    return f'{record["method"]} {record["path"]}\n{headers}\n{record["body"]}'


def arguments(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--cert", help="PEM server certificate for 127.0.0.1 (required for HTTPS)")
    parser.add_argument("--key", help="PEM private key")
    parser.add_argument("--plain-http", action="store_true", help="serve HTTP, not HTTPS")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--keep-requests-s", type=float, default=None,
                        help="keep recorded requests this many seconds (default: all)")
    parser.add_argument("--alt-cert", action="append", default=[], metavar="NAME=CERT:KEY",
                        help="one more port serving with this certificate")
    return parser


def listen(handler, state, port, cert, key, keep_requests_s=None):
    """Listens on 127.0.0.1; plain HTTP when `cert` is None."""
    server = EmulatorServer(("127.0.0.1", port), handler, state)
    server.keep_requests_s = keep_requests_s
    if cert is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    return server


def serve(handler, args, state):
    """Serves HTTPS on 127.0.0.1 until killed."""
    for alt in args.alt_cert:
        name, files = alt.split("=", 1)
        cert, key = files.split(":", 1)
        other = listen(handler, state, 0, cert, key, args.keep_requests_s)
        threading.Thread(target=other.serve_forever, daemon=True).start()
        print(f"alt {name} serves 127.0.0.1:{other.server_address[1]}", flush=True)
    if not args.plain_http and (args.cert is None or args.key is None):
        sys.exit("--cert and --key are required (or --plain-http)")
    cert = None if args.plain_http else args.cert
    server = listen(handler, state, args.port, cert, args.key, args.keep_requests_s)
    print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)
