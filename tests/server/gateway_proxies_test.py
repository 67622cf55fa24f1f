"""scopegate as the forward-auth service of a real reverse proxy (docs/gateway.md).

Each test starts, on free loopback ports in its own temporary folder: `scopegate serve
--gateway-policies tests/server/gateway`, a small upstream (Python's http.server, in this
process) that records every request it sees, and Debian's nginx (`auth_request`) or Caddy
(`forward_auth`) in front of it, configured as docs/gateway.md says. Then, through the
proxy: a key with the scope reaches the upstream with X-Scopegate-Scopes; a key without
gets 403 with the JSON body; no key gets 401; an unknown route 404 and a wrong method 405
with their bodies; a revoked key gets 401 on its next request; forged X-Scopegate-*
headers never pass; and the upstream never sees a refused request nor a client's key.

Run by ctest (tests/server/CMakeLists.txt) with SCOPEGATE_BIN and SCOPEGATE_SOURCE_DIR.
"""

import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import pytest

BIN = os.environ.get("SCOPEGATE_BIN", "build/scopegate")
SOURCE_DIR = os.environ.get("SCOPEGATE_SOURCE_DIR", ".")
POLICIES = os.path.join(SOURCE_DIR, "policies")
GATEWAY_POLICIES = os.path.join(SOURCE_DIR, "tests", "server", "gateway")
DOCS = os.path.join(SOURCE_DIR, "docs", "gateway.md")
ADMIN_PASSWORD = "gateway-admin-password"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, headers=None, body=None, timeout=10):
    """(status, headers, body text) of one HTTP request."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data,
                                 headers=dict(headers or {}), method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as reply:
            return reply.status, reply.headers, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def wait_for(check, what, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Upstream:
    """The protected API: answers 200 with what it saw, and keeps every request."""

    def __init__(self):
        self.seen = []
        upstream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self):
                upstream.seen.append(
                    {"method": self.command, "path": self.path,
                     "headers": {k.lower(): v for k, v in self.headers.items()}})
                body = json.dumps({"upstream": True, "path": self.path}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Scopegate:
    """`scopegate serve` with a gateway policy, signed in as the admin."""

    def __init__(self, workdir, gateway_policies=GATEWAY_POLICIES, extra_config=""):
        self.port = free_port()
        self.db = os.path.join(workdir, "scopegate.db")
        config = os.path.join(workdir, "scopegate.toml")
        with open(config, "w") as out:
            out.write("[rate_limit]\nrequests_per_minute = 0\n"
                      "[policy]\nreload_interval_milliseconds = 100\n" + extra_config)
        self.log = open(os.path.join(workdir, "scopegate.log"), "w")
        env = dict(os.environ, SCOPEGATE_ADMIN_PASSWORD=ADMIN_PASSWORD)
        self.process = subprocess.Popen(
            [BIN, "serve", "--config", config, "--listen", f"127.0.0.1:{self.port}", "--db",
             self.db, "--policies", POLICIES, "--gateway-policies", gateway_policies],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        wait_for(lambda: self.process.poll() is None
                 and request(self.port, "GET", "/healthz", timeout=1)[0] == 200, "scopegate")
        status, _, body = request(self.port, "POST", "/api/v1/auth/login", body={
            "organizationSlug": "default", "email": "admin@localhost",
            "password": ADMIN_PASSWORD})
        assert status == 200, body
        self.bearer = {"Authorization": "Bearer " + json.loads(body)["accessToken"]}

    def key(self, scopes):
        status, _, body = request(self.port, "POST", "/api/v1/api-keys", self.bearer,
                                  {"name": "gateway test", "scopes": scopes})
        assert status == 201, body
        created = json.loads(body)
        return created["id"], created["plainTextKey"]

    def offline_key(self, scopes):
        """A key made by `scopegate keys create` beside the running server."""
        done = subprocess.run(
            [BIN, "keys", "create", "--db", self.db, "--policies", POLICIES,
             "--gateway-policies", GATEWAY_POLICIES, "--email", "admin@localhost", "--name",
             "offline", "--scopes", ",".join(scopes)], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def revoke(self, key_id):
        assert request(self.port, "DELETE", f"/api/v1/api-keys/{key_id}", self.bearer)[0] == 204

    def close(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=15)
        self.log.close()


def doc_block(name):
    """The configuration docs/gateway.md shows under `<!-- test: NAME -->`."""
    with open(DOCS) as docs:
        text = docs.read()
    found = re.search(r"<!-- test: " + name + r" -->\s*```\w*\n(.*?)```", text, re.S)
    assert found, f"docs/gateway.md has no block marked `test: {name}`"
    return found.group(1)


def fill(block, scopegate_port, upstream_port, listen_port):
    """The block with the docs' three addresses replaced by this test's, in one pass."""
    ports = {"8080": scopegate_port, "3000": upstream_port, "8000": listen_port}
    return re.sub(r"127\.0\.0\.1:(8080|3000|8000)\b",
                  lambda m: "127.0.0.1:%d" % ports[m.group(1)], block)


class Proxy:
    """A proxy of docs/gateway.md on a free port, its files in `workdir`/`name`: a subclass
    says how its configuration wraps the page's block and how it is started."""

    stop_signal = signal.SIGTERM

    def __init__(self, workdir, scopegate_port, upstream_port):
        self.port = free_port()
        self.root = os.path.join(workdir, self.name)
        os.makedirs(self.root)
        self.conf = os.path.join(self.root, self.conf_name)
        with open(self.conf, "w") as out:
            out.write(self.wrap(fill(doc_block(self.name), scopegate_port, upstream_port,
                                     self.port)))
        self.log = open(os.path.join(self.root, "stderr.log"), "w")
        self.process = subprocess.Popen(self.command(), stdout=self.log,
                                        stderr=subprocess.STDOUT, env=self.environment(),
                                        cwd=self.root)
        wait_for(lambda: self.process.poll() is None and socket.create_connection(
            ("127.0.0.1", self.port), timeout=1).close() is None, self.name)

    def environment(self):
        return None

    def close(self):
        self.process.send_signal(self.stop_signal)
        self.process.wait(timeout=15)
        self.log.close()


class Nginx(Proxy):
    """Debian's nginx: pid, logs and temporary files in its folder, in the foreground."""

    name = "nginx"
    conf_name = "nginx.conf"
    stop_signal = signal.SIGQUIT

    def wrap(self, server):
        root = self.root
        user = "user root;\n" if os.geteuid() == 0 else ""
        return f"""{user}daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log info;
events {{ worker_connections 256; }}
http {{
  access_log {root}/access.log;
  client_body_temp_path {root}/client_body;
  proxy_temp_path {root}/proxy;
  fastcgi_temp_path {root}/fastcgi;
  uwsgi_temp_path {root}/uwsgi;
  scgi_temp_path {root}/scgi;
{server}
}}
"""

    def command(self):
        return [shutil.which("nginx") or "/usr/sbin/nginx", "-p", self.root, "-c", self.conf]


class Caddy(Proxy):
    """Debian's caddy: no admin endpoint, no HTTPS, its state in its folder."""

    name = "caddy"
    conf_name = "Caddyfile"

    def wrap(self, site):
        return "{\n  admin off\n  auto_https off\n}\n" + site

    def command(self):
        return ["caddy", "run", "--config", self.conf, "--adapter", "caddyfile"]

    def environment(self):
        return dict(os.environ, HOME=self.root, XDG_DATA_HOME=self.root,
                    XDG_CONFIG_HOME=self.root)


@pytest.fixture(params=["nginx", "caddy"])
def stack(request):
    with tempfile.TemporaryDirectory(prefix="scopegate-gateway-") as workdir:
        upstream = Upstream()
        scopegate = Scopegate(workdir)
        proxy = None
        try:
            proxy = (Nginx if request.param == "nginx" else Caddy)(workdir, scopegate.port,
                                                                  upstream.port)
            yield scopegate, upstream, proxy
        finally:
            if proxy:
                proxy.close()
            scopegate.close()
            upstream.close()


def test_through_the_proxy(stack):
    scopegate, upstream, proxy = stack
    reader_id, reader = scopegate.key(["notes:read"])
    _, writer = scopegate.key(["notes:write", "sessions:read"])

    # A key with the scope reaches the upstream, which learns who and what.
    status, _, body = request(proxy.port, "GET", "/v1/notes/42?full=1", {"X-API-Key": reader})
    assert status == 200, body
    assert json.loads(body) == {"upstream": True, "path": "/v1/notes/42?full=1"}
    seen = upstream.seen[-1]["headers"]
    assert seen["x-scopegate-scopes"] == "notes:read"
    assert seen["x-scopegate-key-id"] == reader_id
    assert seen["x-scopegate-endpoint"] == "GET /v1/notes/{id}"
    assert seen["x-scopegate-params"] == "id=42"
    assert "x-api-key" not in seen  # the client's secret stays at the proxy

    # A key made offline with a gateway scope works at once.
    status, _, body = request(proxy.port, "POST", "/v1/notes",
                              {"X-API-Key": scopegate.offline_key(["notes:write"])}, {"text": "hi"})
    assert status == 200, body
    assert upstream.seen[-1]["method"] == "POST"
    assert upstream.seen[-1]["headers"]["x-scopegate-endpoint"] == "POST /v1/notes"

    # Public routes need no key; a forged X-Scopegate header never reaches the upstream,
    # nor its underscore form, which some frameworks read as the same header.
    status, _, _ = request(proxy.port, "GET", "/v1/status",
                           {"X-Scopegate-Scopes": "notes:write", "X-Scopegate-Key-Id": "forged",
                            "X_Scopegate_Scopes": "notes:write",
                            "X-Scopegate_Key_Id": "forged", "X_Scopegate-Endpoint": "forged"})
    assert status == 200
    seen = upstream.seen[-1]["headers"]
    assert seen.get("x-scopegate-scopes", "") == ""
    assert seen.get("x-scopegate-key-id", "") == ""
    assert not [name for name in seen if "_" in name], seen

    # A path segment's & and = stay in its value: no parameter is added.
    status, _, body = request(proxy.port, "GET", "/v1/notes/1&owner=admin",
                              {"X-API-Key": reader})
    assert status == 200, body
    assert upstream.seen[-1]["headers"]["x-scopegate-params"] == "id=1%26owner%3Dadmin"
    allowed = len(upstream.seen)

    # A client naming another request in either proxy's headers is judged on its own:
    # a DELETE with a reader's key, dressed up as a read, is refused.
    forged_original = {"X-API-Key": reader,
                       "X-Original-Method": "GET", "X-Original-URI": "/v1/notes/1",
                       "X-Forwarded-Method": "GET", "X-Forwarded-Uri": "/v1/notes/1"}
    status, _, body = request(proxy.port, "DELETE", "/v1/notes/1", forged_original)
    assert status == 403, body
    assert json.loads(body)["message"] == "API key does not have required scope: notes:write"
    # A POST that frameworks would run as a DELETE is refused, whoever holds notes:write.
    status, _, body = request(proxy.port, "POST", "/v1/notes",
                              {"X-API-Key": writer, "X-HTTP-Method-Override": "DELETE"},
                              {"text": "hi"})
    assert status == 400, body
    assert "X-HTTP-Method-Override".lower() in json.loads(body)["message"]

    # Refusals: the statuses and JSON bodies of scopegate's own API.
    status, _, body = request(proxy.port, "GET", "/v1/notes/42", {"X-API-Key": writer})
    assert status == 403
    assert json.loads(body) == {"error": "Insufficient permissions",
                                "message": "API key does not have required scope: notes:read"}
    status, headers, body = request(proxy.port, "GET", "/v1/notes")
    assert status == 401
    assert json.loads(body)["message"] == "authentication required"
    assert "Bearer" in headers.get("WWW-Authenticate", "")
    status, _, body = request(proxy.port, "GET", "/v1/nothing-here", {"X-API-Key": reader})
    assert status == 404
    assert json.loads(body)["path"] == "/v1/nothing-here"
    status, headers, body = request(proxy.port, "PUT", "/v1/notes/1", {"X-API-Key": reader})
    assert status == 405
    assert headers.get("Allow") == "GET, DELETE"
    assert json.loads(body)["status"] == 405

    # A revoked key: 401 on its very next request.
    scopegate.revoke(reader_id)
    status, _, body = request(proxy.port, "GET", "/v1/notes/42", {"X-API-Key": reader})
    assert status == 401
    assert json.loads(body)["message"] == "API key has been revoked"

    # The upstream saw none of the refused requests.
    assert len(upstream.seen) == allowed
