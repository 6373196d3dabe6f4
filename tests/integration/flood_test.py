"""Floods from one hostile caller, on loopback: the gateway keeps its memory
and descriptors bounded, keeps serving other callers, and recovers at once.

Each test starts the real gateway binary (default configuration: no
provider configured, so a served call answers FAILED_PRECONDITION at once)
and prints the figures it measured (RSS, open descriptors) for the record.
"""

import os
import re
import socket
import subprocess
import threading
import time
import unittest

import grpc
import h2.config
import h2.connection
import h2.settings

from linkgateway.v1 import app_profiles_pb2, app_profiles_pb2_grpc

GATEWAY = os.path.join(os.environ.get("TEST_SRCDIR", "."),
                       os.environ.get("TEST_WORKSPACE", "linkgateway"), "server", "gateway")


class Gateway:
    """The gateway binary as a child process on a free loopback port."""

    def __init__(self, *args, prefix=()):
        self.process = subprocess.Popen([*prefix, GATEWAY, "--listen=127.0.0.1:0", "--plaintext",
                                         *args],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True)
        self.output = []
        deadline = time.monotonic() + 30
        for line in self.process.stdout:
            self.output.append(line)
            found = re.search(r"listening on (127\.0\.0\.1:(\d+))", line)
            if found:
                self.address, self.port = found.group(1), int(found.group(2))
                break
            if time.monotonic() > deadline:
                break
        else:
            raise AssertionError("the gateway never served:\n" + "".join(self.output))
        # Keep draining its output so it never blocks on a full pipe.
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.process.stdout:
            self.output.append(line)

    def status(self, field):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise AssertionError(field)

    def rss_mb(self):
        return self.status("VmRSS") / 1024.0

    def peak_rss_mb(self):
        return self.status("VmHWM") / 1024.0

    def open_fds(self):
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)


def served(address, timeout=2.0):
    """True when a fresh caller gets an answer from the gateway in time."""
    with grpc.insecure_channel(address) as channel:
        stub = app_profiles_pb2_grpc.AppProfileServiceStub(channel)
        request = app_profiles_pb2.GetProfileTransactionRequest()
        request.imiconnect.transaction_id = "t-1"
        try:
            stub.GetProfileTransaction(request, timeout=timeout)
        except grpc.RpcError as e:
            return e.code() == grpc.StatusCode.FAILED_PRECONDITION
        return True


def served_within(address, seconds):
    """Seconds until a fresh caller was served, or None (bounded)."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if served(address, timeout=max(0.2, seconds - (time.monotonic() - start))):
            return time.monotonic() - start
    return None


def open_streams(address, port, streams):
    """One connection opening `streams` streams whose request never ends and
    whose answers are never read (flow-control window 0, SETTINGS never
    acknowledged: a hostile client does not play by them)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
    sock.sendall(conn.data_to_send())
    path = "/linkgateway.v1.AppProfileService/GetProfileTransaction"
    headers = [(":method", "POST"), (":scheme", "http"), (":path", path),
               (":authority", address), ("content-type", "application/grpc"),
               ("te", "trailers")]
    sent = 0
    for _ in range(streams // 500):
        for _ in range(500):
            conn.send_headers(conn.get_next_available_stream_id(), headers)
        try:
            sock.sendall(conn.data_to_send())
            sent += 500
        except OSError:
            break  # the gateway closed the connection: the flood is over
    return sock, sent


class StreamFloodTest(unittest.TestCase):
    def test_streams_that_never_read_stay_bounded(self):
        gateway = Gateway()
        try:
            self.assertTrue(served(gateway.address))
            before = gateway.rss_mb()
            fds_before = gateway.open_fds()
            sock, sent = open_streams(gateway.address, gateway.port, 20000)
            fds_during = gateway.open_fds()
            streams = 20000
            during = gateway.rss_mb()
            other = served_within(gateway.address, 5)
            sock.close()
            after_close = served_within(gateway.address, 5)
            # A second round must not add to the first.
            first_peak = gateway.peak_rss_mb()
            second, sent_second = open_streams(gateway.address, gateway.port, streams)
            second.close()
            after_second = served_within(gateway.address, 5)
            after = gateway.rss_mb()
            peak = gateway.peak_rss_mb()
            fds_after = gateway.open_fds()
            closed = sum("kept opening calls beyond its limit" in line for line in gateway.output)
            print(f"stream flood (up to {streams} streams on one connection; {sent} and "
                  f"{sent_second} sent before the gateway closed it, {closed} closed): "
                  f"open descriptors before {fds_before}, during {fds_during}, after {fds_after}; "
                  f"RSS before {before:.1f} MB, "
                  f"during {during:.1f} MB, after {after:.1f} MB, peak {peak:.1f} MB; "
                  f"another caller served in {other and round(other, 3)} s during, "
                  f"{after_close and round(after_close, 3)} s after, "
                  f"{after_second and round(after_second, 3)} s after a second round")
            self.assertIsNotNone(other, "another caller was not served during the flood")
            self.assertIsNotNone(after_close)
            self.assertIsNotNone(after_second)
            # Calls beyond the connection's limit are refused at stream start,
            # and a connection that piles up refusals it never reads is closed.
            # Unbounded, one round cost ~250 MB here and a second as much again.
            self.assertEqual(closed, 2, "the abusive connection was not closed")
            # At the default limits one such connection costs ~40 MB at most,
            # and a second round reuses it.
            self.assertLess(peak - before, 64, "the stream flood grew the gateway's memory")
            self.assertLess(peak - first_peak, 16, "a second round added memory")
        finally:
            gateway.stop()


class ConnectionFloodTest(unittest.TestCase):
    def test_idle_connections_beyond_the_open_file_limit_never_wedge_the_listener(self):
        # The common open-file limit is 1024; 256 keeps the test small.
        gateway = Gateway(prefix=("prlimit", "--nofile=256:256"))
        sockets = []
        try:
            self.assertTrue(any("open-file limit 256" in line for line in gateway.output),
                            "".join(gateway.output))
            fds_before = gateway.open_fds()
            # More idle connections than the gateway has descriptors.
            for _ in range(400):
                try:
                    sockets.append(socket.create_connection(("127.0.0.1", gateway.port),
                                                            timeout=5))
                except OSError:
                    break  # the backlog is full: the flood is as big as it gets
            time.sleep(0)  # (no fixed wait: the checks below poll with bounds)
            deadline = time.monotonic() + 10
            fds_during = gateway.open_fds()
            while time.monotonic() < deadline:
                fds_during = max(fds_during, gateway.open_fds())
                if fds_during >= 190 or gateway.process.poll() is not None:
                    break
            self.assertIsNone(gateway.process.poll(), "the gateway died")
            # Caller connections stay below their descriptor bound, leaving
            # the rest for upstream connections.
            self.assertLessEqual(fds_during, 256 - 60)
            for s in sockets:
                s.close()
            sockets.clear()
            recovered = served_within(gateway.address, 5)
            fds_after = gateway.open_fds()
            print(f"connection flood (400 idle connections, open-file limit 256): open "
                  f"descriptors before {fds_before}, during {fds_during}, after {fds_after}; "
                  f"a new caller served {recovered and round(recovered, 3)} s after the flood "
                  f"ended")
            self.assertIsNotNone(recovered, "the listener did not serve after the flood")
            self.assertLess(recovered, 1.0)
        finally:
            for s in sockets:
                s.close()
            gateway.stop()


if __name__ == "__main__":
    unittest.main()
