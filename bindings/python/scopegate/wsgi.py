"""A WSGI middleware that asks a scopegate Engine about every request, as the bundled
server does (server/app.cpp), and refuses with the server's JSON bodies
(server/decision_response.cpp, API.md "Errors"):

- a path that fails validation: 400, the general body;
- a route public for anybody: passed on without looking at credentials;
- otherwise the `X-API-Key` header is looked up: no header is 401 "authentication
  required", a key the callback does not know is 401 "invalid API key" (or the message
  of the KeyRejected it raised), each with `WWW-Authenticate`;
- then the key's principal is decided: a 403 is
  `{"error":"Insufficient permissions","message":...}`, 404 and 405 (with `Allow`) have
  the general body `{"timestamp","status","error","message","path"}`.

An allowed request reaches the application with the Decision in
environ["scopegate.decision"] and the principal in environ["scopegate.principal"].
Conditions see the request's headers, REMOTE_ADDR as request.ip and the current time.
"""

import datetime
import json
import time
import urllib.parse

from . import Principal

# The challenge a 401 carries; this middleware knows API keys only.
WWW_AUTHENTICATE = 'ApiKey realm="scopegate"'

_STATUS_TEXT = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
}


class KeyRejected(Exception):
    """Raised by a key-lookup callback for a key it knows but refuses (revoked,
    expired): a 401 whose message is the exception's text."""


def _target(environ):
    """The request target as the client sent it: percent-encoding intact, so that the
    engine's path checks (encoded `/`, dot segments) see what was sent."""
    raw = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    if raw:
        return raw
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    target = urllib.parse.quote(path.encode("latin-1"), safe="/:@!$&'()*+,;=-._~")
    query = environ.get("QUERY_STRING")
    return f"{target}?{query}" if query else target


def _routed_path_differs(environ, path):
    """Whether the application would route another path than the request's `path` (the
    target without its query): a raw REQUEST_URI is what the engine judges, SCRIPT_NAME +
    PATH_INFO what the application routes on, and a rewrite in between (mod_rewrite,
    another middleware) could make them differ. Both as bytes: WSGI strings hold bytes as
    latin-1."""
    if not (environ.get("REQUEST_URI") or environ.get("RAW_URI")):
        return False  # the target was built from SCRIPT_NAME + PATH_INFO
    judged = urllib.parse.unquote_to_bytes(path.encode("latin-1"))
    path_info = environ.get("PATH_INFO", "").encode("latin-1")
    # A mount's prefix may be the proxy's (X-Forwarded-Prefix through ProxyFix), missing
    # from REQUEST_URI: the application routes on PATH_INFO within it.
    routed = (environ.get("SCRIPT_NAME", "").encode("latin-1") + path_info, path_info)
    return judged not in routed


def _headers(environ):
    """The request's headers as the client sent their bytes (WSGI gives them as
    latin-1), so that conditions see what the bundled server would show them."""
    headers = []
    for name, value in environ.items():
        if name.startswith("HTTP_"):
            headers.append((name[5:].replace("_", "-").title(), value.encode("latin-1")))
        elif name in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            headers.append((name.replace("_", "-").title(), value.encode("latin-1")))
    return headers


def general_body(status, message, path):
    """The bundled server's general error body (server/json.cpp error_body)."""
    timestamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {
        "timestamp": timestamp,
        "status": status,
        "error": _STATUS_TEXT.get(status, "Error"),
        "message": message,
        "path": path,
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def insufficient_permissions_body(message):
    """The exact body of a 403 to an API key (API.md, "Errors")."""
    body = {"error": "Insufficient permissions", "message": message}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


class ScopegateMiddleware:
    """Wraps a WSGI application. `lookup_key(key)` returns the key's Principal (built
    with engine.principal_for_key), None for a key it does not know, or raises
    KeyRejected."""

    def __init__(self, app, engine, lookup_key):
        self.app = app
        self.engine = engine
        self.lookup_key = lookup_key
        self.anonymous = Principal.anonymous()

    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        text_target = _target(environ)
        path = text_target.split("?", 1)[0]
        headers = _headers(environ)
        # A NUL, which scopegate cannot be given (and the bundled server refuses).
        if "\0" in text_target:
            return self._respond(start_response, 400,
                                 general_body(400, "Path contains a NUL byte", path))
        if any(b"\0" in value for _, value in headers):
            return self._respond(start_response, 400,
                                 general_body(400, "A header contains a NUL byte", path))
        target = text_target.encode("latin-1")  # the bytes the client sent
        facts = {
            "ip": environ.get("REMOTE_ADDR") or None,
            "headers": headers,
            "time": int(time.time()),
        }
        try:
            decision = self.engine.decide(self.anonymous, method, target, **facts)
        except ValueError:  # REMOTE_ADDR that is not an address: decide without it
            facts["ip"] = None
            decision = self.engine.decide(self.anonymous, method, target, **facts)
        if decision.reason == "invalid_path":
            return self._respond(start_response, 400, general_body(400, decision.message, path))
        if _routed_path_differs(environ, path):
            message = "the path the application routes differs from the request's path"
            return self._respond(start_response, 400, general_body(400, message, path))
        principal = self.anonymous
        if not decision.allowed:
            key = environ.get("HTTP_X_API_KEY")
            if key is None:
                return self._unauthorized(start_response, "authentication required", path)
            try:
                principal = self.lookup_key(key) if key else None
            except KeyRejected as rejected:
                return self._unauthorized(start_response, str(rejected), path)
            if principal is None:
                return self._unauthorized(start_response, "invalid API key", path)
            decision = self.engine.decide(principal, method, target, **facts)
            if not decision.allowed:
                return self._refuse(start_response, decision, path)
        environ["scopegate.decision"] = decision
        environ["scopegate.principal"] = principal
        return self.app(environ, start_response)

    def _refuse(self, start_response, decision, path):
        status = decision.status
        if status == 403:
            body = insufficient_permissions_body(decision.message)
            return self._respond(start_response, 403, body)
        headers = [("Allow", decision.allowed_methods)] if status == 405 else []
        body = general_body(status, decision.message, path)
        return self._respond(start_response, status, body, headers)

    def _unauthorized(self, start_response, message, path):
        return self._respond(
            start_response,
            401,
            general_body(401, message, path),
            [("WWW-Authenticate", WWW_AUTHENTICATE)],
        )

    @staticmethod
    def _respond(start_response, status, body, headers=()):
        data = body.encode("utf-8")
        start_response(
            f"{status} {_STATUS_TEXT.get(status, 'Error')}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(data))), *headers],
        )
        return [data]
