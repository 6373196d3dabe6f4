"""Shared plumbing for the fake upstreams: a real HTTPS server on 127.0.0.1.

Each emulator subclasses `EmulatorHandler`, then calls `serve(handler, ...)`.
The server picks a free port and prints "listening on 127.0.0.1:<port>" once
it accepts connections; test harnesses wait for that line. Only the Python
standard library is used for HTTP and TLS.
"""

import argparse
import http.server
import json
import socketserver
import ssl
import sys
import threading


class EmulatorServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(self, address, handler, state):
        super().__init__(address, handler)
        self.state = state
        self.lock = threading.Lock()
        self.connections = 0

    def get_request(self):
        sock, addr = super().get_request()
        with self.lock:
            self.connections += 1
        return sock, addr


class EmulatorHandler(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, like the real services."""

    protocol_version = "HTTP/1.1"
    server_version = "linkgateway-emulator"

    def log_message(self, fmt, *args):  # keep test logs quiet
        pass

    @property
    def state(self):
        return self.server.state

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def drop(self):
        """Closes the connection without an answer (a lost response)."""
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


def arguments(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--cert", required=True, help="PEM server certificate for 127.0.0.1")
    parser.add_argument("--key", required=True, help="PEM private key")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    return parser


def serve(handler, args, state=None):
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
