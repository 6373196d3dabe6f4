"""Shared plumbing for the fake upstreams: a real HTTPS server on 127.0.0.1.

An emulator subclasses `EmulatorHandler` (implementing `route`) and
`EmulatorState`, then calls `serve(...)`. The server picks a free port and
prints "listening on 127.0.0.1:<port>" once it accepts connections; test
harnesses wait for that line. Only the Python standard library is used for
HTTP and TLS.

Every emulator records the requests it gets and can be steered by tests
through POST /__emulator/<verb>:
  scenarios  {"path": regex, "status", "body", "headers", "delayMs", "drop",
              "dropResponse", "malformed", "times"} forces the next matching
             requests' outcome (times -1 = always)
  requests   the recorded requests; stats: counts by status; reset: forget all
plus the emulator's own verbs (seeding state).
"""

import argparse
import http.server
import json
import re
import socketserver
import ssl
import sys
import threading
import time


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
        with self.state.lock:
            self.state.requests.append({
                "method": self.command, "path": self.path, "at": time.time(),
                "client": self.client_address[0],
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace")})
            scenario = self.take_scenario(path)
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

    def take_scenario(self, path):
        for scenario in self.state.scenarios:
            times = scenario.get("times", 1)
            if times != 0 and re.search(scenario.get("path", ""), path):
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

    def base_control(self, verb, body):
        data = json.loads(body or b"{}")
        state = self.state
        with state.lock:
            if verb == "scenarios":
                state.scenarios.append(data)
                return self.send(200, {})
            if verb == "requests":
                return self.send(200, state.requests)
            if verb == "stats":
                return self.send(200, {"statusCounts": state.status_counts,
                                       "connections": self.server.connections})
            if verb == "reset":
                state.reset()
                return self.send(200, {})
            if self.control(verb, data) is not False:
                return
        self.send(404, {"message": f"unknown control verb {verb}"})


def arguments(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--cert", required=True, help="PEM server certificate for 127.0.0.1")
    parser.add_argument("--key", required=True, help="PEM private key")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    return parser


def serve(handler, args, state):
    """Serves HTTPS on 127.0.0.1 until killed."""
    server = EmulatorServer(("127.0.0.1", args.port), handler, state)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)
