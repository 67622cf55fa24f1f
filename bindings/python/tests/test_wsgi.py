"""scopegate.wsgi.ScopegateMiddleware in front of a Flask application, through Flask's
test client: each refusal has the bundled server's status, body and headers."""

import json
import re

import flask
import pytest

from scopegate.wsgi import KeyRejected, ScopegateMiddleware

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
def client(engine):
    app = flask.Flask(__name__)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.get("/api/v1/sessions/<id>")
    def session(id):
        decision = flask.request.environ["scopegate.decision"]
        return {"id": id, "endpoint": decision.endpoint.template, "params": decision.params}

    @app.post("/api/v1/sessions/<id>/stop")
    def stop(id):
        return {"stopped": id}

    keys = {
        "egk_live_reader": engine.principal_for_key(["sessions:read"]),
        "egk_live_audit": engine.principal_for_key(["audit:read"]),
    }

    def lookup(key):
        if key == "egk_live_revoked":
            raise KeyRejected("API key has been revoked")
        return keys.get(key)

    app.wsgi_app = ScopegateMiddleware(app.wsgi_app, engine, lookup)
    return app.test_client()


def general(response, status, message, path):
    """The bundled server's general error body, keys in its order."""
    assert response.status_code == status
    assert response.content_type == "application/json"
    body = json.loads(response.data)
    assert list(body) == ["timestamp", "status", "error", "message", "path"]
    assert TIMESTAMP.match(body["timestamp"])
    assert body["status"] == status and body["message"] == message and body["path"] == path
    return body


def test_a_public_route_needs_no_key(client):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/healthz", headers={"X-API-Key": "egk_live_unknown"}).status_code == 200


def test_an_allowed_key_reaches_the_handler_with_its_decision(client):
    response = client.get("/api/v1/sessions/42", headers={"X-API-Key": "egk_live_reader"})
    expected = {"id": "42", "endpoint": "/api/v1/sessions/{id}", "params": {"id": "42"}}
    assert response.json == expected


@pytest.mark.parametrize(
    "key, message",
    [
        (None, "authentication required"),
        ("", "invalid API key"),
        ("egk_live_unknown", "invalid API key"),
        ("egk_live_revoked", "API key has been revoked"),
    ],
)
def test_401_for_a_missing_unknown_or_rejected_key(client, key, message):
    headers = {} if key is None else {"X-API-Key": key}
    response = client.get("/api/v1/sessions/1", headers=headers)
    body = general(response, 401, message, "/api/v1/sessions/1")
    assert body["error"] == "Unauthorized"
    assert response.headers["WWW-Authenticate"] == 'ApiKey realm="scopegate"'


def test_403_to_a_key_has_the_exact_api_md_body(client):
    response = client.post("/api/v1/sessions/1/stop", headers={"X-API-Key": "egk_live_reader"})
    assert response.status_code == 403
    assert response.data == (
        b'{"error":"Insufficient permissions",'
        b'"message":"API key does not have required scope: sessions:write"}'
    )


def test_a_failed_condition_is_a_403_with_its_message(client):
    headers = {"X-API-Key": "egk_live_audit", "X-Tenant": "other"}
    response = client.get("/api/v1/audit-logs", headers=headers)
    assert response.status_code == 403
    assert response.json["error"] == "Insufficient permissions"
    assert response.json["message"].startswith("Condition not met")


def test_conditions_read_the_request_headers(client, engine):
    headers = {"X-API-Key": "egk_live_audit", "X-Tenant": "acme"}
    response = client.get("/api/v1/audit-logs", headers=headers)
    assert response.status_code == 404  # allowed by the engine; Flask has no such route


def test_405_carries_allow_and_404_the_general_body(client):
    response = client.delete("/api/v1/sessions/1", headers={"X-API-Key": "egk_live_reader"})
    general(response, 405, "Method not allowed for this path", "/api/v1/sessions/1")
    assert response.headers["Allow"] == "GET"
    response = client.get("/api/v1/nowhere", headers={"X-API-Key": "egk_live_reader"})
    body = general(response, 404, "No endpoint matches this path", "/api/v1/nowhere")
    assert body["error"] == "Not Found"


def test_an_invalid_path_is_a_400_before_any_key_is_looked_at(client):
    response = client.get("/api/v1/sessions/%2e%2e")
    body = general(response, 400, "Path contains a dot segment", "/api/v1/sessions/%2e%2e")
    assert body["error"] == "Bad Request"


def test_a_path_the_application_would_route_differently_is_a_400(client):
    # A rewrite between the server and the middleware: the engine would judge /healthz
    # (public) while the application serves a session.
    response = client.get("/api/v1/sessions/1",
                          environ_overrides={"REQUEST_URI": "/healthz", "RAW_URI": "/healthz"})
    general(response, 400, "the path the application routes differs from the request's path",
            "/healthz")
    # The same bytes, percent-encoded or not, pass.
    response = client.get("/api/v1/sessions/a%20b", headers={"X-API-Key": "egk_live_reader"})
    assert response.status_code == 200
    assert response.json["id"] == "a b"


def test_a_nul_in_the_target_or_a_header_is_a_400(client):
    response = client.get("/healthz", environ_overrides={"REQUEST_URI": "/healthz\0/x",
                                                         "RAW_URI": "/healthz\0/x"})
    general(response, 400, "Path contains a NUL byte", "/healthz\0/x")
    response = client.get("/healthz", headers={"X-Tenant": "a\0b"})
    general(response, 400, "A header contains a NUL byte", "/healthz")


def test_a_raw_utf8_path_and_a_proxy_s_prefix_are_the_paths_the_application_routes(client):
    # The client's bytes, as WSGI gives them (latin-1): /api/v1/sessions/café in UTF-8.
    raw = "/api/v1/sessions/caf\u00c3\u00a9"
    response = client.get("/api/v1/sessions/caf\u00e9", headers={"X-API-Key": "egk_live_reader"},
                          environ_overrides={"REQUEST_URI": raw, "RAW_URI": raw})
    assert response.status_code == 200
    assert response.json["id"] == "caf\u00e9"
    # A prefix that ProxyFix took from X-Forwarded-Prefix into SCRIPT_NAME.
    response = client.get("/api/v1/sessions/1", headers={"X-API-Key": "egk_live_reader"},
                          environ_overrides={"SCRIPT_NAME": "/prefix",
                                             "REQUEST_URI": "/api/v1/sessions/1"})
    assert response.status_code == 200
