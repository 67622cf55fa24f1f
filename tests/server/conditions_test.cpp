// End-to-end: the shipped policy's conditions and forbid rules, enforced by the engine
// for the server: a key's allowedCidrs (a `forbid` rule in policies/access.policy) and
// the audit-log page size cap (a `when` on the route in policies/api.policy).
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;

namespace {

const std::string address_refused =
    R"({"error":"Insufficient permissions","message":"API key is not allowed from this address"})";

// Creates a key through the API and returns the whole 201 body.
nlohmann::json create_key(Harness& h, const nlohmann::json& body) {
  const auto reply = h.client().post("/api/v1/api-keys", body, h.bearer());
  INFO(reply.body);
  REQUIRE(reply.status == 201);
  return reply.json();
}

}  // namespace

TEST_CASE("e2e: allowedCidrs are validated, stored and shown on create and list") {
  Harness h;
  const auto token = h.bearer();
  const auto created =
      create_key(h, {{"name", "office"},
                     {"scopes", {"sessions:read"}},
                     {"allowedCidrs", {"10.0.0.0/8", "192.0.2.1", "2001:db8::/32", "10.0.0.0/8"}}});
  CHECK(created.at("allowedCidrs") ==
        nlohmann::json::array({"10.0.0.0/8", "192.0.2.1/32", "2001:db8::/32"}));
  const auto plain = create_key(h, {{"name", "anywhere"}, {"scopes", {"sessions:read"}}});
  CHECK(plain.at("allowedCidrs") == nlohmann::json::array());
  const auto listed = h.client().get("/api/v1/api-keys", token).json();
  REQUIRE(listed.size() == 2);
  for (const auto& key : listed) {
    if (key.at("name") == "office") {
      CHECK(key.at("allowedCidrs") == created.at("allowedCidrs"));
    } else {
      CHECK(key.at("allowedCidrs") == nlohmann::json::array());
    }
  }

  const auto refused = [&](const nlohmann::json& cidrs) {
    INFO(cidrs.dump());
    const auto reply = h.client().post(
        "/api/v1/api-keys", {{"name", "x"}, {"scopes", {"sessions:read"}}, {"allowedCidrs", cidrs}},
        token);
    CHECK(reply.status == 400);
    CHECK(reply.json().at("validationErrors").contains("allowedCidrs"));
    return reply.json().at("validationErrors").value("allowedCidrs", std::string());
  };
  CHECK(refused({"10.0.0.1/8"}).find("10.0.0.1/8") != std::string::npos);  // host bits set
  CHECK(refused({"10.0.0.0/33"}).find("10.0.0.0/33") != std::string::npos);
  CHECK(refused({"nope"}).find("nope") != std::string::npos);
  refused("10.0.0.0/8");  // not an array
  refused(nlohmann::json::array({1}));
  CHECK(h.client().get("/api/v1/api-keys", token).json().size() == 2);
}

TEST_CASE("e2e: a key with allowedCidrs is refused from other addresses by the policy") {
  Harness h;
  const auto office =
      create_key(
          h, {{"name", "office"}, {"scopes", {"sessions:read"}}, {"allowedCidrs", {"10.0.0.0/8"}}})
          .at("plainTextKey")
          .get<std::string>();
  const auto local =
      create_key(
          h, {{"name", "local"}, {"scopes", {"sessions:read"}}, {"allowedCidrs", {"127.0.0.1"}}})
          .at("plainTextKey")
          .get<std::string>();
  const auto anywhere = h.key({"sessions:read"});

  const auto refused = h.client().get("/api/v1/sessions", with_key(office));
  CHECK(refused.status == 403);
  CHECK(refused.body == address_refused);
  // Every /api/v1 route, even the profile; the scope check is not what refused it.
  CHECK(h.client().get("/api/v1/auth/me", with_key(office)).body == address_refused);
  // Not trusted as a proxy: its X-Forwarded-For is ignored.
  auto spoofed = with_key(office);
  spoofed["X-Forwarded-For"] = "10.1.2.3";
  CHECK(h.client().get("/api/v1/sessions", spoofed).body == address_refused);
  CHECK(h.client().get("/api/v1/sessions", with_key(local)).status == 200);
  CHECK(h.client().get("/api/v1/sessions", with_key(anywhere)).status == 200);
  // A missing scope is still reported as such, from an allowed address.
  CHECK(
      h.client().get("/api/v1/audit-logs", with_key(local)).body ==
      R"({"error":"Insufficient permissions","message":"API key does not have required scope: audit:read"})");

  CHECK(eventually([&] {
    const auto denied =
        h.client().get("/api/v1/audit-logs?eventType=ACCESS_DENIED", h.bearer()).json();
    for (const auto& entry : denied.at("content")) {
      if (entry.at("errorMessage") == "API key is not allowed from this address") return true;
    }
    return false;
  }));
  h.stop();
  const auto log = read_file(h.config.log_file);
  CHECK(log.find("GET /api/v1/sessions 403") != std::string::npos);
  CHECK(log.find("reason=forbidden") != std::string::npos);
}

TEST_CASE("e2e: behind a trusted proxy the forwarded client address decides allowedCidrs") {
  Harness h([](Harness& harness) { harness.config.trusted_proxies = {"127.0.0.1"}; });
  const auto office = create_key(h, {{"name", "office"},
                                     {"scopes", {"sessions:read", "sessions:write"}},
                                     {"allowedCidrs", {"10.0.0.0/8"}}})
                          .at("plainTextKey")
                          .get<std::string>();
  auto from_office = with_key(office);
  from_office["X-Forwarded-For"] = "10.1.2.3";
  CHECK(h.client().get("/api/v1/sessions", from_office).status == 200);
  const auto started = h.client().post("/api/v1/sessions", nlohmann::json::object(), from_office);
  REQUIRE(started.status == 201);
  CHECK(started.json().at("ipv4Address") == "10.1.2.3");  // the same address as sessions see

  auto from_elsewhere = with_key(office);
  from_elsewhere["X-Forwarded-For"] = "192.0.2.9";
  CHECK(h.client().get("/api/v1/sessions", from_elsewhere).body == address_refused);
  auto real_ip = with_key(office);
  real_ip["X-Real-IP"] = "10.200.0.1";
  CHECK(h.client().get("/api/v1/sessions", real_ip).status == 200);
  // The proxy itself (no forwarding header) is not in the key's ranges.
  CHECK(h.client().get("/api/v1/sessions", with_key(office)).body == address_refused);
}

TEST_CASE("e2e: the policy caps the audit-log page size at 100") {
  Harness h;
  const auto key = h.key({"audit:read"});
  const auto too_big = h.client().get("/api/v1/audit-logs?size=500", with_key(key));
  CHECK(too_big.status == 403);
  CHECK(
      too_big.body ==
      R"({"error":"Insufficient permissions","message":"Condition not met: not request.query.size > 100"})");
  CHECK(h.client().get("/api/v1/audit-logs?page=0&size=101", with_key(key)).status == 403);

  const auto fifty = h.client().get("/api/v1/audit-logs?size=50", with_key(key));
  REQUIRE(fifty.status == 200);
  CHECK(fifty.json().at("size") == 50);
  const auto none = h.client().get("/api/v1/audit-logs", with_key(key));
  REQUIRE(none.status == 200);
  CHECK(none.json().at("size") == 20);
  CHECK(h.client().get("/api/v1/audit-logs?size=100", with_key(key)).json().at("size") == 100);
  // Not a plain integer, or two sizes: the condition cannot read it, and refuses.
  for (const char* size : {"abc", "%2B500", "500.0", "20&size=500"}) {
    INFO(size);
    const auto refused =
        h.client().get(std::string("/api/v1/audit-logs?size=") + size, with_key(key));
    CHECK(refused.status == 403);
    CHECK(refused.json().at("message") == "Condition not met: not request.query.size > 100");
  }

  // Signed-in users are held to the same rule, with the general error body.
  const auto user = h.client().get("/api/v1/audit-logs?size=500", h.bearer());
  CHECK(user.status == 403);
  CHECK(user.json().at("error") == "Forbidden");
  CHECK(user.json().at("message") == "Condition not met: not request.query.size > 100");
  CHECK(user.json().at("path") == "/api/v1/audit-logs");
  CHECK(h.client().get("/api/v1/audit-logs?size=%35%30%30", with_key(key)).status ==
        403);  // 500, encoded
  h.stop();
  const auto log = read_file(h.config.log_file);
  CHECK(log.find("reason=condition_failed") != std::string::npos);
}
