// End-to-end: shadow policies (server/shadow.hpp). A candidate judges every request beside
// the live policy; the answers stay the live policy's, and the differences are counted in
// /metrics and logged once per kind, with an example request.
#include <catch2/catch.hpp>

#include <fstream>

#include "harness.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;
using scopegate::testing::contains;
using scopegate::testing::count_of;

namespace {

// The notes API as its authors would change it: notes:read may also create notes, and
// /v1/status is no longer public.
const std::string candidate = R"(
scope notes:read {
  GET  /v1/notes
  GET  /v1/notes/{id}
  POST /v1/notes
}
scope notes:write {
  DELETE /v1/notes/{id}
}
scope status:read {
  GET /v1/status
}
role admin  { scopes * }
role member { scopes notes:read }
)";

Reply ask(const Harness& h, const std::string& method, const std::string& uri,
          std::map<std::string, std::string> headers = {}) {
  headers["X-Original-Method"] = method;
  headers["X-Original-URI"] = uri;
  return h.client().get("/authz", headers);
}

}  // namespace

TEST_CASE("shadow: a candidate policy's differences are counted and logged, never answered") {
  TempDir shadow;
  { std::ofstream(shadow.file("notes.policy")) << candidate; }
  Harness h([&](Harness& harness) {
    harness.config.gateway_policy_directory = SCOPEGATE_SOURCE_DIR "/tests/server/gateway";
    harness.config.gateway_shadow_directory = shadow.path().string();
    // The server's own policy shadowed by itself: it never differs.
    harness.config.policy_shadow_directory = SCOPEGATE_SOURCE_DIR "/policies";
  });
  const auto reader = h.key({"notes:read", "sessions:read"});

  for (int i = 0; i < 2; ++i) CHECK(ask(h, "GET", "/v1/notes/1", with_key(reader)).status == 200);
  // Live: missing scope; the candidate would allow it. The answer is the live one.
  for (int i = 0; i < 3; ++i) CHECK(ask(h, "POST", "/v1/notes", with_key(reader)).status == 403);
  // Live: public; the candidate wants credentials.
  CHECK(ask(h, "GET", "/v1/status").status == 200);
  // Live and candidate both want credentials.
  CHECK(ask(h, "POST", "/v1/notes").status == 401);
  CHECK(h.client().get("/api/v1/sessions", with_key(reader)).status == 200);
  CHECK(h.client().get("/api/v1/audit-logs", with_key(reader)).status == 403);

  const auto metrics = h.client().get("/metrics");
  REQUIRE(metrics.status == 200);
  CHECK(contains(metrics.body,
                 "scopegate_shadow_differences_total{policy=\"gateway\",live_reason=\"missing_"
                 "scope\",live_endpoint=\"POST /v1/notes\",shadow_reason=\"allowed\",shadow_"
                 "endpoint=\"POST /v1/notes\"} 3\n"));
  CHECK(contains(metrics.body,
                 "scopegate_shadow_differences_total{policy=\"gateway\",live_reason=\"allowed\","
                 "live_endpoint=\"GET /v1/status\",shadow_reason=\"unauthenticated\",shadow_"
                 "endpoint=\"GET /v1/status\"} 1\n"));
  CHECK(contains(metrics.body,
                 "scopegate_shadow_decisions_total{policy=\"gateway\",outcome=\"same\"} 3\n"));
  CHECK(contains(metrics.body,
                 "scopegate_shadow_decisions_total{policy=\"gateway\",outcome=\"different\"} 4\n"));
  // The key creation and the two requests above (and the sign-in), all the same.
  CHECK(contains(metrics.body,
                 "scopegate_shadow_decisions_total{policy=\"api\",outcome=\"different\"} 0\n"));
  CHECK_FALSE(contains(metrics.body, "scopegate_shadow_differences_total{policy=\"api\""));

  h.stop();
  const auto log = read_file(h.config.log_file);
  CHECK(count_of(log,
                 "shadow gateway policy: live missing_scope (POST /v1/notes), shadow "
                 "allowed (POST /v1/notes); first seen on POST /v1/notes principal=egk_") == 1);
  CHECK(count_of(log,
                 "shadow gateway policy: live allowed (GET /v1/status), shadow "
                 "unauthenticated (GET /v1/status); first seen on GET /v1/status "
                 "principal=-") == 1);
  CHECK(count_of(log, "shadow api policy") == 0);
}

TEST_CASE("shadow: a candidate that does not compile stops the server") {
  TempDir shadow;
  { std::ofstream(shadow.file("broken.policy")) << "scope broken {\n"; }
  const auto all = start_refusal(
      shadow, [&](Config& config) { config.policy_shadow_directory = shadow.path().string(); });
  CHECK(contains(all, "broken.policy:"));
}
