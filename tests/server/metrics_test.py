"""`GET /metrics` of the real `scopegate serve`, read by Prometheus's own parser.

Starts the server with the gateway policy of tests/server/gateway (through the helpers of
gateway_proxies_test.py), sends it requests whose counts are known (allowed, refused by
scope, unauthenticated, no route, through /authz and to its own API), makes a policy
reload fail, and parses the scrape with Debian's python3-prometheus-client
(prometheus_client.parser.text_string_to_metric_families): every family is well formed,
and the counters say what happened. Also: a configured bearer token is then required.

Run by ctest (tests/server/CMakeLists.txt) with SCOPEGATE_BIN and SCOPEGATE_SOURCE_DIR.
"""

import os
import shutil
import tempfile
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway_proxies_test import GATEWAY_POLICIES, Scopegate, request, wait_for


def scrape(port, headers=None):
    status, reply_headers, body = request(port, "GET", "/metrics", headers)
    assert status == 200, body
    assert reply_headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {family.name: family for family in text_string_to_metric_families(body)}


def value(families, family, sample_name, **labels):
    total = 0
    found = False
    for sample in families[family].samples:
        if sample.name == sample_name and all(sample.labels.get(k) == v for k, v in labels.items()):
            total += sample.value
            found = True
    assert found, f"no {sample_name} sample with {labels}"
    return total


@pytest.fixture
def workdir():
    with tempfile.TemporaryDirectory(prefix="scopegate-metrics-") as path:
        yield path


def test_metrics_count_what_happened(workdir):
    policies = os.path.join(workdir, "gateway-policy")
    shutil.copytree(GATEWAY_POLICIES, policies)
    scopegate = Scopegate(workdir, gateway_policies=policies)
    try:
        _, reader = scopegate.key(["notes:read"])
        authz = lambda method, uri, key=None: request(
            scopegate.port, "GET", "/authz",
            dict({"X-Original-Method": method, "X-Original-URI": uri},
                 **({"X-API-Key": key} if key else {})))[0]
        for _ in range(3):
            assert authz("GET", "/v1/notes/7", reader) == 200
        assert authz("POST", "/v1/notes", reader) == 403
        assert authz("GET", "/v1/notes") == 401
        assert authz("GET", "/v1/nowhere", reader) == 404
        assert request(scopegate.port, "GET", "/api/v1/sessions", {"X-API-Key": reader})[0] == 403
        # A broken edit of the gateway policy: refused, the old one keeps serving.
        with open(os.path.join(policies, "notes.policy"), "a") as policy:
            policy.write("\nscope broken {\n")
        wait_for(lambda: value(scrape(scopegate.port), "scopegate_policy_reloads",
                               "scopegate_policy_reloads_total", policy="gateway",
                               outcome="refused") == 1, "the refused reload")

        families = scrape(scopegate.port)
        decisions = "scopegate_decisions"
        assert value(families, decisions, "scopegate_decisions_total", policy="gateway",
                     reason="allowed", endpoint="GET /v1/notes/{id}") == 3
        assert value(families, decisions, "scopegate_decisions_total", policy="gateway",
                     reason="missing_scope", endpoint="POST /v1/notes") == 1
        assert value(families, decisions, "scopegate_decisions_total", policy="gateway",
                     reason="unauthenticated", endpoint="GET /v1/notes") == 1
        assert value(families, decisions, "scopegate_decisions_total", policy="gateway",
                     reason="no_route", endpoint="-") == 1
        assert value(families, decisions, "scopegate_decisions_total", policy="api",
                     reason="missing_scope", endpoint="GET /api/v1/sessions") == 1

        latency = "scopegate_request_duration_seconds"
        assert value(families, latency, latency + "_count", policy="gateway",
                     route_class="scoped") == 5
        assert value(families, latency, latency + "_bucket", policy="gateway",
                     route_class="scoped", le="+Inf") == 5
        assert value(families, latency, latency + "_sum", policy="gateway",
                     route_class="scoped") > 0

        auth = "scopegate_authentications"
        # 3 allowed + 1 refused by scope + 1 unknown route + 1 on the server's API, and
        # the admin's sign-in token that created the key.
        assert value(families, auth, "scopegate_authentications_total", credential="api_key",
                     outcome="success") == 6
        assert value(families, auth, "scopegate_authentications_total", credential="none",
                     outcome="refused") == 1
        assert value(families, "scopegate_key_cache_lookups", "scopegate_key_cache_lookups_total",
                     result="hit") + value(families, "scopegate_key_cache_lookups",
                                           "scopegate_key_cache_lookups_total",
                                           result="miss") == 6

        info = [s for s in families["scopegate_policy_info"].samples]
        assert {s.labels["policy"] for s in info} == {"api", "gateway"}
        assert all(len(s.labels["hash"]) == 64 and s.value == 1 for s in info)
        assert value(families, "scopegate_policy_reloads", "scopegate_policy_reloads_total",
                     policy="gateway", outcome="applied") == 0
        assert families["scopegate_audit_queue_depth"].type == "gauge"
        assert value(families, "scopegate_audit_write_errors", "scopegate_audit_write_errors_total") == 0
        assert value(families, "scopegate_database_errors", "scopegate_database_errors_total") == 0
    finally:
        scopegate.close()


def test_metrics_with_a_token_need_it(workdir):
    scopegate = Scopegate(workdir, extra_config='[metrics]\nbearer_token = "scrape-secret"\n')
    try:
        status, _, body = request(scopegate.port, "GET", "/metrics")
        assert status == 403
        assert "bearer token" in body
        assert request(scopegate.port, "GET", "/metrics",
                       {"Authorization": "Bearer wrong-secret"})[0] == 403
        families = scrape(scopegate.port, {"Authorization": "Bearer scrape-secret"})
        assert "scopegate_decisions" in families
        assert request(scopegate.port, "POST", "/metrics",
                       {"Authorization": "Bearer scrape-secret"})[0] == 405
    finally:
        scopegate.close()
