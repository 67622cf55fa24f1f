"""`scopegate keys create` takes a key's scopes as an OAuth scope string (RFC 6749:
separated by spaces), as a comma-separated list, or one name per `--scope`, so that a
scope whose name has a comma in it can be given too.

Run by ctest (tests/server/CMakeLists.txt) with SCOPEGATE_BIN and SCOPEGATE_SOURCE_DIR.
"""

import os
import subprocess
import tempfile
import time
import urllib.request

import pytest
from serve_log import logged_port

BIN = os.environ.get("SCOPEGATE_BIN", "build/scopegate")
SOURCE_DIR = os.environ.get("SCOPEGATE_SOURCE_DIR", ".")
POLICIES = os.path.join(SOURCE_DIR, "policies")

POLICY = """scope sessions:read {
  GET /api/v1/sessions
}
scope repo,admin {
  GET /api/v1/repos
}
role admin {
  scopes *
}
"""


@pytest.fixture(scope="module")
def database():
    """A database with its default organization and admin user: `scopegate serve` ran once."""
    with tempfile.TemporaryDirectory(prefix="scopegate-keys-") as path:
        db = os.path.join(path, "scopegate.db")
        env = dict(os.environ, SCOPEGATE_ADMIN_PASSWORD="keys-create-admin-password")
        log_path = os.path.join(path, "serve.log")
        # On a port the kernel chooses, read from the log: one found free beforehand could
        # be taken before the server binds it.
        with open(log_path, "wb") as log:
            server = subprocess.Popen(
                [BIN, "serve", "--listen", "127.0.0.1:0", "--db", db, "--policies", POLICIES],
                stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            port = logged_port(log_path, server)
            if port is None:
                pytest.fail("the server did not start")
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                        break
                except OSError:
                    time.sleep(0.05)
            else:
                pytest.fail("the server did not start")
        finally:
            server.terminate()
            server.wait(timeout=15)
        policies = os.path.join(path, "policies")
        os.mkdir(policies)
        with open(os.path.join(policies, "api.policy"), "w") as out:
            out.write(POLICY)
        yield db, policies


def create(database, name, *scope_options):
    db, policies = database
    return subprocess.run(
        [BIN, "keys", "create", "--db", db, "--policies", policies, "--email",
         "admin@localhost", "--name", name, *scope_options],
        capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("note, options, scopes", [
    ("an OAuth scope string", ["--scopes", "sessions:read repo,admin"], None),
    ("commas", ["--scopes", "sessions:read,sessions:read"], "sessions:read"),
    ("one name per --scope, a comma kept", ["--scope", "repo,admin", "--scope", "sessions:read"],
     "repo,admin sessions:read"),
])
def test_keys_create_reads_the_scopes_given(database, note, options, scopes):
    done = create(database, note.replace(" ", "-"), *options)
    if scopes is None:
        # `repo,admin` in a scope string is two names, neither of them a scope.
        assert done.returncode != 0, note
        assert "repo" in done.stderr, done.stderr
        return
    assert done.returncode == 0, done.stderr
    assert f"with scopes: {scopes}" in done.stderr, done.stderr


def test_keys_create_needs_scopes(database):
    done = create(database, "none")
    assert done.returncode != 0
    assert "--scopes or --scope is required" in done.stderr, done.stderr
