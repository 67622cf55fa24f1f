"""The scopegate package over libscopegate.so: compiling, principals, every field of a
decision, conditions and replacing the policy."""

import threading

import pytest

import scopegate
from conftest import POLICY_TEXT


def test_the_shipped_policy_compiles_without_warnings(policies):
    policy = scopegate.Policy.compile([policies])
    assert policy.warnings == []
    key = scopegate.Engine(policy).principal_for_key(["sessions:read"])
    assert key is not None


def test_a_compile_error_carries_structured_diagnostics_and_their_text():
    with pytest.raises(scopegate.CompileError) as caught:
        text = 'scope a:b { summary "x" GET /x }\nrole r { scopes a:c }\n'
        scopegate.Policy.from_text(text, "bad.policy")
    error = caught.value
    assert error.status == 3
    assert len(error.diagnostics) == 1
    diagnostic = error.diagnostics[0]
    assert (diagnostic.file, diagnostic.line, diagnostic.column) == ("bad.policy", 2, 17)
    assert (diagnostic.severity, diagnostic.code) == ("error", "unknown-scope")
    assert "a:c" in diagnostic.message and "a:b" in diagnostic.help
    assert "bad.policy:2:17: error" in error.text
    assert "bad.policy:2:17: error" in str(error)


def test_a_missing_file_is_a_compile_error_naming_it(tmp_path):
    missing = tmp_path / "none.policy"
    with pytest.raises(scopegate.CompileError) as caught:
        scopegate.Policy.compile(missing)
    assert str(missing) in caught.value.text


@pytest.mark.parametrize(
    "scopes, method, target, status, reason",
    [
        (["sessions:read"], "GET", "/api/v1/sessions/42", 200, "allowed"),
        (["sessions:read"], "POST", "/api/v1/sessions/42/stop", 403, "missing_scope"),
        (["sessions:write"], "GET", "/api/v1/users", 403, "api_key_not_supported"),
        (["sessions:read"], "DELETE", "/api/v1/sessions/42", 405, "method_not_allowed"),
        (["sessions:read"], "GET", "/api/v1/nowhere", 404, "no_route"),
        (["sessions:read"], "GET", "/api/v1/%2e%2e/x", 400, "invalid_path"),
        ([], "GET", "/healthz", 200, "allowed"),
        (["no:such-scope"], "GET", "/api/v1/sessions", 403, "missing_scope"),
    ],
)
def test_decisions_for_keys(engine, scopes, method, target, status, reason):
    decision = engine.decide(engine.principal_for_key(scopes), method, target)
    assert (decision.status, decision.reason) == (status, reason)
    assert decision.allowed == (status == 200)


def test_every_field_of_an_allow(engine):
    key = engine.principal_for_key(["sessions:read"])
    decision = engine.decide(key, "GET", "/api/v1/sessions/42?x=1")
    assert decision.allowed and decision.status == 200 and decision.reason == "allowed"
    assert decision.message == "Allowed"
    endpoint = scopegate.Endpoint("GET", "/api/v1/sessions/{id}", "Get session details")
    assert decision.endpoint == endpoint
    assert decision.params == {"id": "42"}
    assert decision.required_scopes == ["sessions:read"]
    assert decision.granted_by == "sessions:read"
    assert decision.rule == scopegate.Rule("test.policy", 4, 3)
    assert decision.allowed_methods == ""


def test_every_field_of_a_refusal(engine):
    key = engine.principal_for_key(["sessions:read"])
    decision = engine.decide(key, "POST", "/api/v1/sessions/7/stop")
    assert decision.message == "API key does not have required scope: sessions:write"
    assert decision.endpoint.template == "/api/v1/sessions/{id}/stop"
    assert decision.params == {"id": "7"}
    assert decision.required_scopes == ["sessions:write"]
    assert decision.granted_by is None
    assert decision.rule.line == 8
    refused = engine.decide(engine.principal_for_key([]), "PUT", "/api/v1/sessions")
    assert refused.allowed_methods == "GET"
    assert refused.endpoint is None and refused.rule is None and refused.params == {}


def test_roles_and_nobody(engine):
    member = engine.principal_for_role("member")
    assert engine.decide(member, "GET", "/api/v1/sessions").allowed
    stop = engine.decide(member, "POST", "/api/v1/sessions/1/stop")
    assert stop.message == "User does not have required scope: sessions:write"
    nothing = engine.principal_for_role("nobody")
    assert not engine.decide(nothing, "GET", "/api/v1/sessions").allowed
    nobody = scopegate.Principal.anonymous()
    assert engine.decide(nobody, "GET", "/healthz").allowed
    assert engine.decide(nobody, "GET", "/api/v1/sessions").reason == "unauthenticated"


def test_conditions_read_headers_time_and_ip(engine):
    key = engine.principal_for_key(["audit:read"])
    acme = {"X-Tenant": "acme"}
    logs = "/api/v1/audit-logs"
    assert engine.decide(key, "GET", logs, headers=acme, time=1_790_000_000).allowed
    assert engine.decide(key, "GET", logs, headers=acme).reason == "condition_failed"
    other = [("x-tenant", "other")]
    assert engine.decide(key, "GET", logs, headers=other, time=1).reason == "condition_failed"
    key.set_allowed_cidrs(["10.0.0.0/8"]).set_identity(id="user-42", name="ops@example.com")
    args = dict(headers=acme, time=1_790_000_000)
    assert engine.decide(key, "GET", "/api/v1/audit-logs", ip="10.1.2.3", **args).allowed
    outside = engine.decide(key, "GET", "/api/v1/audit-logs", ip="192.0.2.1", **args)
    assert outside.reason == "forbidden"
    assert outside.message == "API key is not allowed from this address"


def test_bad_addresses_are_value_errors(engine):
    key = engine.principal_for_key(["audit:read"])
    with pytest.raises(ValueError):
        engine.decide(key, "GET", "/api/v1/audit-logs", ip="10.1.2")
    with pytest.raises(ValueError):
        key.set_allowed_cidrs(["10.0.0.1/8"])


def test_a_nul_character_is_a_value_error_not_a_string_cut_short(engine):
    # C would see the text up to the NUL: /healthz (public) instead of the whole path, a
    # policy without the rules after it, a scope named "sessions:read".
    key = engine.principal_for_key(["audit:read"])
    with pytest.raises(ValueError, match="the target contains a NUL"):
        engine.decide(key, "GET", "/healthz\0/../api/v1/users")
    with pytest.raises(ValueError, match="a header value contains a NUL"):
        engine.decide(key, "GET", "/api/v1/audit-logs", headers={"X-Tenant": "acme\0x"})
    with pytest.raises(ValueError, match="a scope name contains a NUL"):
        engine.principal_for_key(["sessions:read\0x"])
    with pytest.raises(ValueError, match="the policy text contains a NUL"):
        scopegate.Policy.from_text('public { GET /healthz }\0forbid * /** { message "no" }')
    # Encoded, a NUL reaches the engine, which refuses the path.
    assert engine.decide(key, "GET", "/healthz%00").reason == "invalid_path"


def test_a_time_outside_64_bits_is_a_value_error(engine):
    key = engine.principal_for_key(["audit:read"])
    with pytest.raises(ValueError, match="64 bits"):
        engine.decide(key, "GET", "/api/v1/audit-logs", time=2**64 + 5)


def test_a_policy_that_is_not_utf8_is_a_compile_error(tmp_path):
    path = tmp_path / "bad.policy"
    path.write_bytes(b"scope \xff\xfe {\n}\n")
    with pytest.raises(scopegate.CompileError) as raised:
        scopegate.Policy.compile([path])
    assert raised.value.diagnostics
    # A path given as bytes is passed as the file system's bytes.
    with pytest.raises(scopegate.CompileError):
        scopegate.Policy.compile([bytes(path)])


def test_replace_rebinds_principals_and_a_policy_serves_one_engine(engine):
    key = engine.principal_for_key(["sessions:write"])
    before = engine.decide(key, "GET", "/api/v1/sessions/1")
    assert not before.allowed
    policy = scopegate.Policy.from_text(
        'scope sessions:write {\n  summary "x"\n  GET /api/v1/sessions/{id}  "Read one"\n}\n',
        "next.policy",
    )
    engine.replace(policy)
    after = engine.decide(key, "GET", "/api/v1/sessions/1")
    assert after.allowed and after.rule.file == "next.policy"
    assert before.rule.file == "test.policy"  # a decision keeps its policy
    with pytest.raises(scopegate.Error) as caught:
        scopegate.Engine(policy)
    assert caught.value.status == 4


def test_an_engine_decides_from_many_threads(engine):
    key = engine.principal_for_key(["sessions:read"])
    results = []

    def work():
        decisions = [engine.decide(key, "GET", f"/api/v1/sessions/{i}") for i in range(200)]
        results.append([d.params["id"] for d in decisions] == [str(i) for i in range(200)])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 4


def test_an_engine_decides_from_many_threads_while_its_policy_is_replaced(engine):
    # ctypes lets go of the GIL in each call: the threads decide in C at once, while the
    # main thread swaps the policy 50 times. Every decision is one policy's or the other's,
    # and a principal made before the swaps is rebound to whichever it meets.
    key = engine.principal_for_key(["sessions:read"])
    texts = [POLICY_TEXT, POLICY_TEXT.replace('"Get session details"', '"Read a session"')]
    stop = threading.Event()
    seen, failures = set(), []

    def work():
        while not stop.is_set():
            decision = engine.decide(key, "GET", "/api/v1/sessions/7")
            if not decision.allowed or decision.params != {"id": "7"}:
                failures.append((decision.status, decision.reason))
            seen.add(decision.endpoint.description)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for i in range(50):
            engine.replace(scopegate.Policy.from_text(texts[i % 2], f"p{i}.policy"))
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert failures == []
    assert seen <= {"Get session details", "Read a session"}
    assert engine.decide(key, "GET", "/api/v1/sessions/7").rule.file == "p49.policy"


def test_version_is_the_library_s():
    assert scopegate.version().count(".") == 2

