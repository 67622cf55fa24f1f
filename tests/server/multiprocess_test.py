"""The real `scopegate serve` under write load while other processes open its database.

For SCOPEGATE_MULTIPROCESS_SECONDS (default 20) four clients start sessions through the
server while, at the same time and in a loop, other processes open the same SQLite file:
Python's sqlite3 module, the `sqlite3` shell, `scopegate keys create` (each new key must
work on the server's very next request), a second `scopegate serve` that starts and
stops, and a writer that revokes keys behind the server's back (each revoked key must be
refused on the server's very next request). The server must stay up throughout; then it
is killed with SIGKILL and every session it acknowledged with 201 must be in the file.

Run by ctest (tests/server/CMakeLists.txt) with SCOPEGATE_BIN and SCOPEGATE_SOURCE_DIR.
"""

import json
import os
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import pytest
from serve_log import logged_port

BIN = os.environ.get("SCOPEGATE_BIN", "build/scopegate")
SOURCE_DIR = os.environ.get("SCOPEGATE_SOURCE_DIR", ".")
POLICIES = os.path.join(SOURCE_DIR, "policies")
SECONDS = float(os.environ.get("SCOPEGATE_MULTIPROCESS_SECONDS", "20"))
ADMIN_PASSWORD = "multiprocess-admin-password"


def request(port, method, path, key=None, body=None, timeout=10):
    """(status, parsed JSON body or None) of one HTTP request."""
    headers = {"Content-Type": "application/json"}
    if key:
        headers["X-API-Key"] = key
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data,
                                 headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as reply:
            text = reply.read()
            return reply.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as error:
        text = error.read()
        return error.code, (json.loads(text) if text else None)


def wait_healthy(port, process, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if request(port, "GET", "/healthz", timeout=1)[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def serve(db, log):
    """`scopegate serve` on `db` on a port the kernel chooses (logged_port() reads it),
    without the per-key rate limit (the writers send far more than a key's default 6000
    requests a minute)."""
    config = f"{db}.toml"
    with open(config, "w") as out:
        out.write("[rate_limit]\nrequests_per_minute = 0\n")
    env = dict(os.environ, SCOPEGATE_ADMIN_PASSWORD=ADMIN_PASSWORD)
    return subprocess.Popen(
        [BIN, "serve", "--config", config, "--listen", "127.0.0.1:0", "--db", db,
         "--policies", POLICIES],
        stdout=log, stderr=subprocess.STDOUT, env=env)


def create_key_offline(db, name, scopes="sessions:read,sessions:write"):
    done = subprocess.run(
        [BIN, "keys", "create", "--db", db, "--policies", POLICIES, "--email",
         "admin@localhost", "--name", name, "--scopes", scopes],
        capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


class Loop(threading.Thread):
    """Runs `step` until stopped, at most one step a `period` seconds; records the first
    failure and counts the steps."""

    def __init__(self, name, step, period=0.0):
        super().__init__(name=name, daemon=True)
        self.step = step
        self.period = period
        self.stop = threading.Event()
        self.count = 0
        self.failure = None

    def run(self):
        while not self.stop.is_set() and self.failure is None:
            started = time.monotonic()
            try:
                self.step()
                self.count += 1
            except Exception as error:  # reported by the test, with the loop's name
                self.failure = f"{self.name}: {error!r}"
            self.stop.wait(self.period - (time.monotonic() - started))


@pytest.fixture
def workdir():
    with tempfile.TemporaryDirectory(prefix="scopegate-multiprocess-") as path:
        yield path


def test_server_survives_other_processes_on_its_database(workdir):
    db = os.path.join(workdir, "scopegate.db")
    serve_log = os.path.join(workdir, "serve.log")
    with open(serve_log, "wb") as log:
        server = serve(db, log)
    try:
        port = logged_port(serve_log, server)
        assert port and wait_healthy(port, server), "the server did not start"
        # What this test holds is the lock-free commit watch beside other processes: it
        # must be on (it falls back silently to a transaction per request otherwise).
        with open(os.path.join(workdir, "serve.log")) as log_text:
            assert "commit watch on" in log_text.read(), "the commit watch is off"
        key = create_key_offline(db, "load")

        acknowledged = []  # session ids the server answered 201 for
        lock = threading.Lock()

        def start_session():
            status, body = request(port, "POST", "/api/v1/sessions", key=key, body={})
            assert status == 201, (status, body)
            with lock:
                acknowledged.append(body["id"])

        def python_reader():
            connection = sqlite3.connect(db, timeout=5)
            try:
                connection.execute("SELECT COUNT(*) FROM sessions").fetchone()
            finally:
                connection.close()

        def shell_reader():
            subprocess.run(["sqlite3", "-cmd", ".timeout 5000", db,
                            "SELECT COUNT(*) FROM sessions"],
                           check=True, capture_output=True, timeout=30)

        offline_names = iter(range(1_000_000))

        def offline_key_works_at_once():
            fresh = create_key_offline(db, f"offline {next(offline_names)}")
            status, body = request(port, "GET", "/api/v1/sessions", key=fresh)
            assert status == 200, ("a key created offline was refused", status, body)

        revoked = iter(range(1_000_000))

        def revocation_by_another_process_is_seen_at_once():
            victim = create_key_offline(db, f"victim {next(revoked)}")
            assert request(port, "GET", "/api/v1/sessions", key=victim)[0] == 200
            connection = sqlite3.connect(db, timeout=5)
            try:
                with connection:
                    connection.execute(
                        "UPDATE api_keys SET revoked_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') "
                        "WHERE key_prefix = ? AND revoked_at IS NULL", (victim[:15],))
            finally:
                connection.close()
            status, body = request(port, "GET", "/api/v1/sessions", key=victim)
            assert status == 401, ("a key revoked by another process was accepted", status, body)

        def second_server():
            other_log_path = os.path.join(workdir, "second.log")
            with open(other_log_path, "wb") as other_log:
                other = serve(db, other_log)
            try:
                other_port = logged_port(other_log_path, other)
                assert other_port and wait_healthy(other_port, other), \
                    "the second server did not start"
                status, _ = request(other_port, "GET", "/api/v1/sessions", key=key)
                assert status == 200, status
            finally:
                other.send_signal(signal.SIGTERM)
                other.wait(timeout=30)

        # Paced, so that the test does not take both cores from the rest of the suite: 200
        # writes a second, 100 opens by Python and 20 by the shell, and 5 a second of each
        # step that starts scopegate (which compiles the policy), about 100 each in 20 s.
        loops = [Loop(f"writer {i}", start_session, period=0.02) for i in range(4)]
        loops += [Loop("python sqlite3", python_reader, period=0.01),
                  Loop("sqlite3 shell", shell_reader, period=0.05),
                  Loop("scopegate keys create", offline_key_works_at_once, period=0.2),
                  Loop("revocation", revocation_by_another_process_is_seen_at_once, period=0.2),
                  Loop("second scopegate serve", second_server, period=0.2)]
        for loop in loops:
            loop.start()
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline and server.poll() is None:
            if any(loop.failure for loop in loops):
                break
            time.sleep(0.1)
        for loop in loops:
            loop.stop.set()
        for loop in loops:
            loop.join(timeout=60)

        assert server.poll() is None, f"the server died: exit status {server.returncode}"
        failures = [loop.failure for loop in loops if loop.failure]
        assert not failures, failures
        for loop in loops:
            assert loop.count > 0, f"{loop.name} never completed a step"
        assert request(port, "GET", "/healthz")[0] == 200

        # Nothing acknowledged may be lost, not even when the server is killed outright.
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        connection = sqlite3.connect(db, timeout=5)
        try:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            stored = {row[0] for row in connection.execute("SELECT id FROM sessions")}
        finally:
            connection.close()
        missing = [session for session in acknowledged if session not in stored]
        assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged sessions lost"
        print(f"{len(acknowledged)} sessions acknowledged and stored; steps: "
              + ", ".join(f"{loop.name} {loop.count}" for loop in loops))
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
