// End-to-end: the write side of /api/v1/resources (POST, PATCH, DELETE, verify) and
// /api/v1/static-ip-rules, over HTTP on the real server (both stores): bodies, statuses,
// audit entries, and the refusals (members, API keys, other organizations).
#include <catch2/catch.hpp>

#include <future>
#include <set>

#include "admin_fixture.hpp"
#include "harness.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;

namespace {

nlohmann::json new_resource(const std::string& credential_id, const std::string& name = "Prod SG") {
  return {{"name", name},
          {"credentialId", credential_id},
          {"provider", "AWS"},
          {"resourceType", "SECURITY_GROUP"},
          {"resourceIdentifier", "sg-0123"},
          {"region", "eu-west-1"},
          {"config", {{"port", 5432}}}};
}

using Keys = std::set<std::string>;

}  // namespace

TEST_CASE("e2e: resources are created inactive, patched, verified and deleted") {
  Harness h;
  const auto admin = h.bearer();
  const auto credential = h.credential("AWS Prod");
  const auto created = h.client().post("/api/v1/resources", new_resource(credential), admin);
  REQUIRE(created.status == 201);
  auto body = created.json();
  CHECK(key_set_of(body) == Keys{"id", "name", "credentialId", "credentialName", "provider",
                                 "resourceType", "resourceIdentifier", "region", "config",
                                 "isActive", "lastVerifiedAt", "createdAt", "updatedAt"});
  CHECK(body.at("isActive") == false);
  CHECK(body.at("lastVerifiedAt").is_null());
  CHECK(body.at("credentialName") == "AWS Prod");
  CHECK(body.at("config") == nlohmann::json{{"port", 5432}});
  const auto id = id_of(created);
  const auto path = "/api/v1/resources/" + id;

  // Inactive: an admin's session does not cover it yet.
  CHECK(h.client()
            .post("/api/v1/sessions", nlohmann::json::object(), admin)
            .json()
            .at("resourceIps")
            .empty());

  // PATCH changes only what it names; null clears config; PUT is not a route.
  const auto patched =
      h.client().send("PATCH", path, admin, R"({"name":"Prod DB","config":null,"provider":"GCP"})");
  REQUIRE(patched.status == 200);
  body = patched.json();
  CHECK(body.at("name") == "Prod DB");
  CHECK(body.at("config").is_null());
  CHECK(body.at("provider") == "AWS");  // not a writable field: ignored
  CHECK(body.at("resourceIdentifier") == "sg-0123");
  CHECK(body.at("region") == "eu-west-1");
  CHECK(h.client().send("PUT", path, admin, new_resource(credential).dump()).status == 405);
  const auto no_region = h.client().send("PATCH", path, admin, R"({"region":null})");
  CHECK(no_region.status == 400);
  CHECK(no_region.json().at("validationErrors").at("region") == "is required for AWS resources");
  CHECK(h.client().send("PATCH", path, admin, R"({"isActive":"yes"})").status == 400);
  CHECK(h.client().send("PATCH", path, admin, R"({"credentialId":"nope"})").status == 400);

  // Verify: active, lastVerifiedAt now.
  const auto verified = h.client().post(path + "/verify", nlohmann::json::object(), admin);
  REQUIRE(verified.status == 200);
  CHECK(verified.json().at("isActive") == true);
  CHECK_FALSE(verified.json().at("lastVerifiedAt").is_null());

  // A session covers it now, and while it runs the resource cannot be deleted.
  const auto session = h.client().post("/api/v1/sessions", nlohmann::json::object(), admin).json();
  REQUIRE(session.at("resourceIps").size() == 1);
  const auto in_use = h.client().send("DELETE", path, admin);
  CHECK(in_use.status == 400);
  CHECK(in_use.json().at("message") ==
        "Resource is in use by 1 active session: stop them or let them expire first");
  REQUIRE(h.client()
              .post("/api/v1/sessions/" + session.at("id").get<std::string>() + "/stop",
                    nlohmann::json::object(), admin)
              .status == 200);
  CHECK(eventually([&] { return h.client().send("DELETE", path, admin).status == 204; }));
  const auto gone = h.client().get(path, admin);
  CHECK(gone.status == 404);
  CHECK(gone.json().at("message") == "Resource with ID " + id + " not found");
  CHECK(h.client().send("DELETE", path, admin).status == 404);
  CHECK(h.client().post(path + "/verify", nlohmann::json::object(), admin).status == 404);

  const auto audit = h.client().get("/api/v1/audit-logs?size=100", admin).body;
  for (const std::string event :
       {"RESOURCE_CREATE", "RESOURCE_UPDATE", "RESOURCE_VERIFY", "RESOURCE_DELETE"}) {
    INFO(event);
    CHECK(audit.find("\"" + event + "\"") != std::string::npos);
  }
}

TEST_CASE("e2e: a resource is refused a missing, foreign or mismatched credential") {
  Harness h;
  const auto admin = h.bearer();
  const auto credential = h.credential();
  const auto refused = [&](const nlohmann::json& body, const std::string& field) {
    INFO(body.dump());
    const auto reply = h.client().post("/api/v1/resources", body, admin);
    CHECK(reply.status == 400);
    CHECK(reply.json().at("validationErrors").contains(field));
    return reply.json().at("validationErrors").value(field, "");
  };
  auto body = new_resource(credential);
  body.erase("credentialId");
  CHECK(refused(body, "credentialId") == "is required");
  CHECK(refused(new_resource("nope"), "credentialId") == "Credential with ID nope not found");
  CHECK(refused(patched(new_resource(credential), nlohmann::json{{"provider", "GCP"}}),
                "provider") == "must be the credential's provider, AWS");
  CHECK(refused(patched(new_resource(credential), nlohmann::json{{"region", nullptr}}), "region") ==
        "is required for AWS resources");
  CHECK(refused(patched(new_resource(credential), nlohmann::json{{"provider", "aws"}}),
                "provider") == "must be one of AWS, GCP, AZURE, APISIX");
  CHECK(refused(nlohmann::json::object(), "name") == "is required");
}

TEST_CASE("e2e: verifying a resource whose credential failed its check is VERIFICATION_FAILED") {
  Harness h;
  const auto admin = h.bearer();
  const auto bad = h.client().post(
      "/api/v1/credentials",
      {{"name", "bad"},
       {"provider", "AWS"},
       {"credentialType", "ACCESS_KEY"},
       {"credentialData", {{"accessKeyId", "AKIAIOSFODNN7EXAMPLE"}, {"secretAccessKey", "short"}}}},
      admin);
  REQUIRE(bad.status == 201);
  REQUIRE(eventually([&] {
    return h.client().get("/api/v1/credentials/" + id_of(bad), admin).json().at("isValid") == false;
  }));
  const auto resource = h.client().post("/api/v1/resources", new_resource(id_of(bad)), admin);
  REQUIRE(resource.status == 201);
  const auto path = "/api/v1/resources/" + id_of(resource);
  const auto failed = h.client().post(path + "/verify", nlohmann::json::object(), admin);
  CHECK(failed.status == 400);
  CHECK(failed.json().at("message") ==
        "Verification failed: its credential failed its last check: secretAccessKey is not 40 "
        "characters long");
  const auto after = h.client().get(path, admin).json();
  CHECK(after.at("isActive") == false);
  CHECK_FALSE(after.at("lastVerifiedAt").is_null());
  const auto audit =
      h.client().get("/api/v1/audit-logs?eventType=RESOURCE_VERIFY", admin).json().at("content");
  REQUIRE(audit.size() == 1);
  CHECK(audit[0].at("result") == "FAILURE");
}

TEST_CASE("e2e: members, API keys and other organizations are refused the resource writes") {
  Harness h;
  const auto admin = h.bearer();
  const auto id = h.resource("db");
  const auto credential = h.credential("spare");
  const auto member = h.signed_in("member@localhost", "member");
  const auto other = h.signed_in("boss@other.test", "admin", "other");
  const auto key = h.key({"sessions:read", "sessions:write", "resources:read", "audit:read"});
  const auto body = new_resource(credential).dump();
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"POST", "/api/v1/resources"},
      {"PATCH", "/api/v1/resources/" + id},
      {"DELETE", "/api/v1/resources/" + id},
      {"POST", "/api/v1/resources/" + id + "/verify"}};
  for (const auto& [method, path] : routes) {
    INFO(method << " " << path);
    const auto as_member = h.client().send(method, path, member, body);
    CHECK(as_member.status == 403);
    CHECK(as_member.json().at("message") == "User does not have required scope: resources:manage");
    const auto as_key = h.client().send(method, path, with_key(key), body);
    CHECK(as_key.status == 403);
    CHECK(as_key.body == key_not_supported_body);
  }
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>(routes.begin() + 1, routes.end())) {
    INFO(method << " " << path);
    CHECK(h.client().send(method, path, other, R"({"name":"mine"})").status == 404);
  }
  const auto unchanged = h.client().get("/api/v1/resources/" + id, admin);
  CHECK(unchanged.json().at("name") == "db");
  CHECK(unchanged.json().at("isActive") == true);
}

TEST_CASE("e2e: static IP rules are created pending, applied in the background, and deleted") {
  Harness h;
  const auto admin = h.bearer();
  const auto first = h.resource("alpha");
  const auto second = h.resource("beta");
  const auto created = h.client().post(
      "/api/v1/static-ip-rules",
      {{"label", "Office"}, {"ipAddress", "203.0.113.0/24"}, {"resourceIds", {second, first}}},
      admin);
  REQUIRE(created.status == 201);
  const auto body = created.json();
  CHECK(key_set_of(body) ==
        Keys{"id", "label", "ipAddress", "status", "createdByEmail", "createdAt", "resources"});
  CHECK(body.at("status") == "PENDING");
  CHECK(body.at("createdByEmail") == "admin@localhost");
  CHECK(body.at("ipAddress") == "203.0.113.0/24");
  REQUIRE(body.at("resources").size() == 2);
  CHECK(body.at("resources")[0].at("resourceName") == "alpha");
  CHECK(key_set_of(body.at("resources")[0]) ==
        Keys{"resourceId", "resourceName", "status", "appliedAt", "errorMessage"});
  CHECK(body.at("resources")[0].at("status") == "PENDING");
  const auto id = id_of(created);
  const auto path = "/api/v1/static-ip-rules/" + id;
  CHECK(eventually([&] { return h.client().get(path, admin).json().at("status") == "ACTIVE"; }));
  const auto active_reply = h.client().get(path, admin);
  REQUIRE(active_reply.status == 200);
  const auto active = active_reply.json();
  CHECK(key_set_of(active) == key_set_of(body));
  for (const auto& resource : active.at("resources")) {
    CHECK(resource.at("status") == "APPLIED");
    CHECK_FALSE(resource.at("appliedAt").is_null());
  }
  // A single address is stored as its range.
  const auto single = h.client().post(
      "/api/v1/static-ip-rules",
      {{"label", "VPN"}, {"ipAddress", "2001:DB8::1"}, {"resourceIds", {first}}}, admin);
  REQUIRE(single.status == 201);
  CHECK(single.json().at("ipAddress") == "2001:db8::1/128");
  const auto listed_reply = h.client().get("/api/v1/static-ip-rules", admin);
  REQUIRE(listed_reply.status == 200);
  const auto listed = listed_reply.json();
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].at("label") == "VPN");  // newest first
  for (const auto& rule : listed) CHECK(key_set_of(rule) == key_set_of(body));

  // Refused bodies.
  const auto refused = [&](const nlohmann::json& request, const std::string& field) {
    INFO(request.dump());
    const auto reply = h.client().post("/api/v1/static-ip-rules", request, admin);
    CHECK(reply.status == 400);
    return reply.json().at("validationErrors").value(field, "");
  };
  CHECK(refused({{"label", "x"}, {"ipAddress", "10.0.0.1/8"}, {"resourceIds", {first}}},
                "ipAddress") ==
        "must be an IPv4 or IPv6 address or CIDR range (host bits below the prefix zero)");
  CHECK(refused(
            {{"label", "x"}, {"ipAddress", "10.0.0.0/8"}, {"resourceIds", nlohmann::json::array()}},
            "resourceIds") == "must name at least one resource");
  CHECK(refused({{"label", "x"}, {"ipAddress", "10.0.0.0/8"}, {"resourceIds", {"nope"}}},
                "resourceIds") == "Resource not found with id: nope");
  CHECK(refused({{"ipAddress", "10.0.0.0/8"}, {"resourceIds", {first}}}, "label") == "is required");

  // A resource the rule's address is applied to is kept (the address would stay open on
  // the provider); deleting the rule hides it at once.
  const auto kept = h.client().send("DELETE", "/api/v1/resources/" + second, admin);
  CHECK(kept.status == 400);
  CHECK(kept.json().at("message") == "Resource is in use by 1 static IP rule: delete it first");
  CHECK(h.client().get(path, admin).json().at("resources").size() == 2);
  CHECK(h.client().send("DELETE", path, admin).status == 204);
  const auto gone = h.client().get(path, admin);
  CHECK(gone.status == 404);
  CHECK(gone.json().at("message") == "Static IP rule with ID " + id + " not found");
  CHECK(h.client().send("DELETE", path, admin).status == 404);
  CHECK(h.client().get("/api/v1/static-ip-rules", admin).json().size() == 1);
  // The sweeper removes it for good; then the resource may go.
  auto store = h.open_store();
  CHECK(eventually([&] { return store->find_unsettled_static_ip_rules()->empty(); }));
  CHECK(eventually([&] {
    return h.client().send("DELETE", "/api/v1/resources/" + second, admin).status == 204;
  }));

  const auto audit = h.client().get("/api/v1/audit-logs?size=100", admin).body;
  CHECK(audit.find("\"STATIC_IP_RULE_CREATED\"") != std::string::npos);
  CHECK(audit.find("\"STATIC_IP_RULE_DELETED\"") != std::string::npos);
}

TEST_CASE("e2e: members, API keys and other organizations are refused the static IP rules") {
  Harness h;
  const auto admin = h.bearer();
  const auto resource = h.resource("db");
  const auto rule = id_of(h.client().post(
      "/api/v1/static-ip-rules",
      {{"label", "Office"}, {"ipAddress", "192.0.2.0/24"}, {"resourceIds", {resource}}}, admin));
  const auto member = h.signed_in("member@localhost", "member");
  const auto other = h.signed_in("boss@other.test", "admin", "other");
  const auto key = h.key({"sessions:read", "sessions:write", "resources:read", "audit:read"});
  const auto body =
      nlohmann::json{{"label", "x"}, {"ipAddress", "192.0.2.0/24"}, {"resourceIds", {resource}}}
          .dump();
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", "/api/v1/static-ip-rules"},
      {"GET", "/api/v1/static-ip-rules/" + rule},
      {"POST", "/api/v1/static-ip-rules"},
      {"DELETE", "/api/v1/static-ip-rules/" + rule}};
  for (const auto& [method, path] : routes) {
    INFO(method << " " << path);
    const auto as_member = h.client().send(method, path, member, body);
    CHECK(as_member.status == 403);
    CHECK(as_member.json().at("message") ==
          "User does not have required scope: static-ip-rules:manage");
    const auto as_key = h.client().send(method, path, with_key(key), body);
    CHECK(as_key.status == 403);
    CHECK(as_key.body == key_not_supported_body);
    CHECK(h.client().send(method, path, {}, body).status == 401);
  }
  CHECK(h.client().get("/api/v1/static-ip-rules/" + rule, other).status == 404);
  CHECK(h.client().send("DELETE", "/api/v1/static-ip-rules/" + rule, other).status == 404);
  CHECK(h.client().get("/api/v1/static-ip-rules", other).json().empty());
  // Another organization's resource is an unknown one.
  const auto foreign =
      h.client().post("/api/v1/static-ip-rules", nlohmann::json::parse(body), other);
  CHECK(foreign.status == 400);
  CHECK(foreign.json().at("validationErrors").at("resourceIds") ==
        "Resource not found with id: " + resource);
  CHECK(h.client().get("/api/v1/static-ip-rules/" + rule, admin).status == 200);
}

TEST_CASE("e2e: resource creations sent at once never pass the plan's limit together") {
  Harness h;
  const auto admin = register_free_organization(h);  // 5 resources
  const auto credential = h.credential("AWS", admin);
  std::vector<std::future<int>> replies;
  for (int i = 0; i < 10; ++i) {
    replies.push_back(std::async(std::launch::async, [&, i] {
      return h.client()
          .post("/api/v1/resources", new_resource(credential, "sg " + std::to_string(i)), admin)
          .status;
    }));
  }
  int created = 0;
  for (auto& reply : replies) {
    const int status = reply.get();
    CHECK((status == 201 || status == 400));
    created += status == 201 ? 1 : 0;
  }
  CHECK(created == 5);
  CHECK(h.client().get("/api/v1/resources", admin).json().size() == 5);
}

TEST_CASE("e2e: POST /resources refuses a resource over the plan's limit with 400") {
  Harness h;
  const auto admin = register_free_organization(h);  // 5 resources
  const auto credential = h.credential("AWS", admin);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    const auto created = h.client().post(
        "/api/v1/resources", new_resource(credential, "sg " + std::to_string(i)), admin);
    REQUIRE(created.status == 201);
    ids.push_back(id_of(created));
  }
  const auto sixth = h.client().post("/api/v1/resources", new_resource(credential, "sg 5"), admin);
  CHECK(sixth.status == 400);
  CHECK(sixth.json().at("message") ==
        "Resource limit of the plan reached: FREE allows 5 resources");
  CHECK(h.client().get("/api/v1/resources", admin).json().size() == 5);
  // A deleted resource frees its place; the bootstrap organization (PLATFORM) has no limit.
  REQUIRE(del(h, "/api/v1/resources/" + ids.front(), admin).status == 204);
  CHECK(h.client().post("/api/v1/resources", new_resource(credential, "sg 5"), admin).status ==
        201);
  const auto platform = h.credential("Platform");
  for (int i = 0; i < 6; ++i) {
    CHECK(
        h.client()
            .post("/api/v1/resources", new_resource(platform, "p" + std::to_string(i)), h.bearer())
            .status == 201);
  }
}
