"""Fixtures for the scopegate package's tests. ctest sets SCOPEGATE_LIBRARY (the
libscopegate.so under test) and SCOPEGATE_POLICIES (the shipped policies/)."""

import os
import pathlib

import pytest

import scopegate

POLICY_TEXT = """\
scope sessions:read {
  summary "View sessions."
  GET /api/v1/sessions       "List all sessions"
  GET /api/v1/sessions/{id}  "Get session details"
}
scope sessions:write {
  summary "Stop sessions."
  POST /api/v1/sessions/{id}/stop  "Stop a session"
}
scope audit:read {
  summary "Read audit logs."
  GET /api/v1/audit-logs  "List audit logs" when request.header.x-tenant == "acme"
    and request.time < "2030-01-01T00:00:00Z"
}
user scope users:manage {
  summary "Manage users."
  GET /api/v1/users  "List users"
}
role member { scopes sessions:read }
public { GET /healthz  "Liveness" }
forbid * /api/v1/** when principal.kind == "api_key" and principal.allowed_cidrs != []
                     and not request.ip in principal.allowed_cidrs {
  message "API key is not allowed from this address"
}
"""


@pytest.fixture
def policies():
    default = pathlib.Path(__file__).resolve().parents[3] / "policies"
    return pathlib.Path(os.environ.get("SCOPEGATE_POLICIES", default))


@pytest.fixture
def engine():
    return scopegate.Engine(scopegate.Policy.from_text(POLICY_TEXT, "test.policy"))
