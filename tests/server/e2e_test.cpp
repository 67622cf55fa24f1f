// End-to-end: the real server (Server::start, the same code `scopegate serve` runs) on a
// free loopback port, a temporary database and the shipped policy, driven over HTTP.
#include <catch2/catch.hpp>

#include <chrono>

#include "harness.hpp"
#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/offline_keys.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;

TEST_CASE("e2e: the first start creates the organization and admin and says how to sign in") {
  Harness h;
  const auto notice = h.notices.str();
  CHECK(notice.find("admin@localhost") != std::string::npos);
  CHECK(notice.find("/api/v1/auth/login") != std::string::npos);
  CHECK(notice.find(admin_password) == std::string::npos);
  const auto me = h.client().get("/api/v1/auth/me", h.bearer());
  REQUIRE(me.status == 200);
  CHECK(me.json().at("email") == "admin@localhost");
  CHECK(me.json().at("isOrgAdmin") == true);
  CHECK(me.json().at("organizationSlug") == "default");
  const auto wrong =
      h.client().post("/api/v1/auth/login", {{"email", "admin@localhost"}, {"password", "nope"}});
  CHECK(wrong.status == 401);
  CHECK(h.client().get("/healthz").status == 200);
}

TEST_CASE(
    "e2e: a key created as on the seed page works, acts as its creator, and records its last use") {
  Harness h;
  const auto created = h.client().send(
      "POST", "/api/v1/api-keys",
      {{"Authorization", "Bearer " + h.admin_token()}, {"Content-Type", "application/json"}},
      R"({"name": "CI/CD Full Access", "scopes": ["sessions:read", "sessions:write", "resources:read"]})");
  REQUIRE(created.status == 201);
  const auto body = created.json();
  const auto key = body.at("plainTextKey").get<std::string>();
  CHECK(key.rfind("egk_live_", 0) == 0);
  CHECK(key.size() >= 49);
  CHECK(body.at("keyPrefix") == key.substr(0, 15));
  CHECK(body.at("scopes") ==
        nlohmann::json::array({"sessions:read", "sessions:write", "resources:read"}));
  CHECK(body.at("expiresAt").is_null());
  CHECK(body.at("description").is_null());

  const auto me = h.client().get("/api/v1/auth/me", {{"Authorization", "ApiKey " + key}});
  REQUIRE(me.status == 200);
  CHECK(me.json().at("email") == "admin@localhost");
  CHECK(h.client().get("/api/v1/sessions", with_key(key)).status == 200);
  CHECK(eventually([&] {
    const auto list = h.client().get("/api/v1/api-keys", h.bearer()).json();
    return list.size() == 1 && !list[0].at("lastUsedAt").is_null() &&
           list[0].at("lastUsedIp") == "127.0.0.1";
  }));
  const auto list = h.client().get("/api/v1/api-keys", h.bearer()).json();
  CHECK(list[0].at("createdByEmail") == "admin@localhost");
  CHECK(list[0].at("isRevoked") == false);
  CHECK_FALSE(list[0].contains("plainTextKey"));
}

TEST_CASE(
    "e2e: sessions:write alone starts a session but gets the exact 403 body on GET /sessions") {
  Harness h;
  const auto key = h.key({"sessions:write"});
  const auto started = h.client().post("/api/v1/sessions", {{"durationHours", 2}}, with_key(key));
  REQUIRE(started.status == 201);
  const auto session = started.json();
  CHECK(session.at("status") == "ACTIVE");
  CHECK(session.at("ipv4Address") == "127.0.0.1");
  CHECK(session.at("userEmail") == "admin@localhost");
  CHECK(session.at("organizationName") == "Default");
  const auto listed = h.client().get("/api/v1/sessions", with_key(key));
  CHECK(listed.status == 403);
  CHECK(listed.body == scope_body);
  // Refused before any object is loaded: even a session id that does not exist.
  const auto one =
      h.client().get("/api/v1/sessions/00000000-0000-4000-8000-000000000000", with_key(key));
  CHECK(one.status == 403);
  CHECK(one.body == scope_body);
}

TEST_CASE("e2e: a read-only key cannot stop or extend a session, and the session is unchanged") {
  Harness h;
  const auto writer = h.key({"sessions:write", "sessions:read"});
  const auto reader = h.key({"sessions:read"});
  const auto session =
      h.client().post("/api/v1/sessions", nlohmann::json::object(), with_key(writer)).json();
  const auto id = session.at("id").get<std::string>();
  const auto before = h.client().get("/api/v1/sessions/" + id, with_key(reader));
  REQUIRE(before.status == 200);
  const std::string refused_write =
      R"({"error":"Insufficient permissions","message":"API key does not have required scope: sessions:write"})";
  const auto stop = h.client().post("/api/v1/sessions/" + id + "/stop", nlohmann::json::object(),
                                    with_key(reader));
  CHECK(stop.status == 403);
  CHECK(stop.body == refused_write);
  const auto extend = h.client().post("/api/v1/sessions/" + id + "/extend",
                                      {{"additionalHours", 1}}, with_key(reader));
  CHECK(extend.status == 403);
  CHECK(extend.body == refused_write);
  const auto after = h.client().get("/api/v1/sessions/" + id, with_key(reader));
  CHECK(after.json() == before.json());
}

TEST_CASE("e2e: missing, garbage, revoked and expired keys get 401") {
  Harness h;
  const auto missing = h.client().get("/api/v1/sessions");
  CHECK(missing.status == 401);
  CHECK(missing.json().at("status") == 401);
  CHECK(missing.json().at("error") == "Unauthorized");
  CHECK(missing.json().at("path") == "/api/v1/sessions");
  CHECK(h.client().get("/api/v1/sessions", with_key("garbage")).status == 401);
  CHECK(h.client().get("/api/v1/sessions", with_key("egk_live_" + std::string(48, 'a'))).status ==
        401);
  CHECK(h.client().get("/api/v1/sessions", {{"Authorization", "Bearer nonsense"}}).status == 401);
  CHECK(h.client().get("/api/v1/auth/me").status == 401);

  const auto created =
      h.client()
          .post("/api/v1/api-keys", {{"name", "r"}, {"scopes", {"sessions:read"}}}, h.bearer())
          .json();
  const auto key = created.at("plainTextKey").get<std::string>();
  REQUIRE(h.client().get("/api/v1/sessions", with_key(key)).status == 200);
  const auto token = h.bearer();
  CHECK(h.client()
            .send("DELETE", "/api/v1/api-keys/" + created.at("id").get<std::string>(), token)
            .status == 204);
  CHECK(h.client().get("/api/v1/sessions", with_key(key)).status == 401);
  CHECK(h.client().get("/api/v1/auth/me", with_key(key)).status == 401);
  // Revoking again keeps the first revokedAt.
  const auto revoked_at = h.client().get("/api/v1/api-keys", token).json()[0].at("revokedAt");
  CHECK(h.client()
            .send("DELETE", "/api/v1/api-keys/" + created.at("id").get<std::string>(), token)
            .status == 204);
  const auto listed = h.client().get("/api/v1/api-keys", token).json();
  CHECK(listed[0].at("isRevoked") == true);
  CHECK(listed[0].at("revokedAt") == revoked_at);

  const auto soon = wire_time(format_stored(now() + std::chrono::minutes(1)));
  const auto expiring =
      h.client().post("/api/v1/api-keys",
                      {{"name", "e"}, {"scopes", {"sessions:read"}}, {"expiresAt", soon}}, token);
  REQUIRE(expiring.status == 201);
  const auto expiring_key = expiring.json().at("plainTextKey").get<std::string>();
  CHECK(h.client().get("/api/v1/sessions", with_key(expiring_key)).status == 200);
  const ClockShift later(std::chrono::minutes(2));
  const auto expired = h.client().get("/api/v1/sessions", with_key(expiring_key));
  CHECK(expired.status == 401);
  CHECK(expired.json().at("message") == "API key has expired");
}

TEST_CASE(
    "e2e: a key revoked through a second server on the same database fails the very next request") {
  // The promise of revocation = every-request (SQLite's only way). PostgreSQL's default,
  // notify, promises 1 s instead: multi_instance_test.cpp and postgres_notify_test.cpp.
  const auto every_request = [](Harness& h) {
    h.config.database_revocation = Revocation::every_request;
  };
  Harness first(every_request);
  Harness second([&](Harness& h) {
    every_request(h);
    h.config.database_path = first.config.database_path;
  });
  const auto created = first.client().post(
      "/api/v1/api-keys", {{"name", "shared"}, {"scopes", {"sessions:read"}}}, first.bearer());
  REQUIRE(created.status == 201);
  const auto key = created.json().at("plainTextKey").get<std::string>();
  const auto id = created.json().at("id").get<std::string>();
  const auto denied = first.key({"resources:read"}, "denied");
  // Signing in changes the user's row, so it happens before the keys are remembered: the
  // revocation below is then the only change between the last 200 and the next request.
  const auto token = second.bearer();
  for (int i = 0; i < 3; ++i) {  // both servers have read (and remembered) both keys
    REQUIRE(first.client().get("/api/v1/sessions", with_key(key)).status == 200);
    REQUIRE(second.client().get("/api/v1/sessions", with_key(key)).status == 200);
    REQUIRE(first.client().get("/api/v1/sessions", with_key(denied)).status == 403);
  }
  REQUIRE(second.client().send("DELETE", "/api/v1/api-keys/" + id, token).status == 204);
  const auto refused = first.client().get("/api/v1/sessions", with_key(key));
  CHECK(refused.status == 401);
  CHECK(refused.json().at("message") == "API key has been revoked");
  // The key lacking the scope, remembered too, is still judged on its current row.
  CHECK(first.client().get("/api/v1/sessions", with_key(denied)).status == 403);
}

TEST_CASE("e2e: a key holding every scope is refused on every user-only area") {
  Harness h;
  const auto key = h.key({"sessions:read", "sessions:write", "resources:read", "audit:read"});
  for (const std::string path :
       {"/api/v1/api-keys", "/api/v1/users", "/api/v1/roles", "/api/v1/credentials",
        "/api/v1/organization", "/api/v1/static-ip-rules", "/api/v1/sessions/admin/all",
        "/api/v1/credentials/x", "/api/v1/static-ip-rules/x"}) {
    INFO(path);
    const auto reply = h.client().get(path, with_key(key));
    CHECK(reply.status == 403);
    CHECK(reply.body == key_not_supported_body);
  }
  const auto mfa = h.client().post("/api/v1/mfa/setup", nlohmann::json::object(), with_key(key));
  CHECK(mfa.status == 403);
  CHECK(mfa.body == key_not_supported_body);
  const auto create = h.client().post("/api/v1/resources", {{"name", "x"}}, with_key(key));
  CHECK(create.status == 403);
  CHECK(create.body == key_not_supported_body);
  CHECK(h.client().send("DELETE", "/api/v1/api-keys/x", with_key(key)).status == 403);
}

TEST_CASE("e2e: the plaintext key appears only in the create response") {
  Harness h;
  const auto key = h.key({"sessions:read"});
  CHECK(h.client().get("/api/v1/sessions", with_key(key)).status == 200);
  CHECK(h.client().get("/api/v1/audit-logs", with_key(key)).status == 403);
  const auto listed = h.client().get("/api/v1/api-keys", h.bearer());
  CHECK(listed.body.find(key) == std::string::npos);
  const auto audit = h.client().get("/api/v1/audit-logs?size=100", h.bearer());
  CHECK(audit.body.find(key) == std::string::npos);
  h.stop();
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(h.dir.path())) {
    INFO(entry.path());
    CHECK(read_file(entry.path()).find(key) == std::string::npos);
    ++files;
  }
  if (test_store() == StoreKind::postgres) {
    const auto& cluster = PgCluster::shared();
    CHECK(cluster.all_rows(cluster.database_of(h.config.database_path)).find(key) ==
          std::string::npos);
    ++files;
  }
  CHECK(files >= 2);  // the database and the log at least
  const auto log = read_file(h.config.log_file);
  CHECK(log.find(key.substr(0, 15)) != std::string::npos);  // the prefix is how logs name it
  CHECK(log.find("GET /api/v1/sessions 200") != std::string::npos);
  CHECK(log.find("reason=missing_scope") != std::string::npos);
}

TEST_CASE("e2e: another organization's session is a 404, and so is a missing one") {
  Harness h;
  {
    auto store = h.open_store();
    const Organization other{generate_uuid(), "other", "Other Org", format_stored(now())};
    REQUIRE(store->create_organization(other));
    const User owner{generate_uuid(),
                     other.id,
                     "boss@other.test",
                     "Boss",
                     "admin",
                     hash_password("x", test_password_hash),
                     true,
                     format_stored(now()),
                     std::nullopt};
    REQUIRE(store->create_user(owner, {}, nullptr));
  }
  OfflineKeyRequest request;
  request.database_path = h.config.database_path;
  request.policy_directory = h.config.policy_directory;
  request.organization_slug = "other";
  request.email = "boss@other.test";
  request.name = "other";
  request.scopes = {"sessions:read", "sessions:write"};
  const auto other_key = create_key_offline(request);
  REQUIRE(other_key);
  const auto theirs =
      h.client().post("/api/v1/sessions", nlohmann::json::object(), with_key(other_key->plaintext));
  REQUIRE(theirs.status == 201);
  CHECK(theirs.json().at("organizationName") == "Other Org");
  const auto id = theirs.json().at("id").get<std::string>();

  const auto mine = h.key({"sessions:read", "sessions:write"});
  const auto read = h.client().get("/api/v1/sessions/" + id, with_key(mine));
  CHECK(read.status == 404);
  CHECK(read.json().at("status") == 404);
  CHECK(h.client()
            .post("/api/v1/sessions/" + id + "/stop", nlohmann::json::object(), with_key(mine))
            .status == 404);
  CHECK(h.client().get("/api/v1/sessions/" + id, with_key(other_key->plaintext)).status == 200);
  CHECK(h.client().get("/api/v1/sessions", with_key(mine)).json().empty());
  CHECK(h.client().get("/api/v1/sessions/nope", with_key(mine)).status == 404);
}

TEST_CASE("e2e: audit logs page, filter, and record refused key requests") {
  Harness h;
  const auto token = h.bearer();
  const auto writer = h.key({"sessions:write", "audit:read"}, "writer");
  for (int i = 0; i < 3; ++i) {
    REQUIRE(
        h.client().post("/api/v1/sessions", nlohmann::json::object(), with_key(writer)).status ==
        201);
  }
  CHECK(h.client().get("/api/v1/sessions", with_key(writer)).status == 403);  // ACCESS_DENIED
  const auto starts = h.client().get("/api/v1/audit-logs?eventType=SESSION_START&size=2", token);
  REQUIRE(starts.status == 200);
  const auto page0 = starts.json();
  CHECK(page0.at("totalElements") == 3);
  CHECK(page0.at("totalPages") == 2);
  CHECK(page0.at("number") == 0);
  CHECK(page0.at("size") == 2);
  REQUIRE(page0.at("content").size() == 2);
  const auto& first = page0.at("content")[0];
  CHECK(first.at("actorType") == "API_KEY");
  CHECK(first.at("actorEmail") == "admin@localhost");
  CHECK(first.at("details").at("keyPrefix") == writer.substr(0, 15));
  CHECK(first.at("result") == "SUCCESS");
  CHECK(first.at("organizationName") == "Default");
  CHECK(first.at("createdAt").get<std::string>() >=
        page0.at("content")[1].at("createdAt").get<std::string>());
  const auto page1 =
      h.client().get("/api/v1/audit-logs?eventType=SESSION_START&size=2&page=1", token).json();
  CHECK(page1.at("content").size() == 1);

  CHECK(eventually([&] {
    return h.client()
               .get("/api/v1/audit-logs?eventType=ACCESS_DENIED", token)
               .json()
               .at("totalElements") == 1;
  }));
  const auto denied =
      h.client().get("/api/v1/audit-logs?eventType=ACCESS_DENIED", with_key(writer)).json();
  CHECK(denied.at("content")[0].at("result") == "FAILURE");
  CHECK(denied.at("content")[0].at("errorMessage") ==
        "API key does not have required scope: sessions:read");

  const auto logins =
      h.client()
          .get("/api/v1/audit-logs?eventType=USER_LOGIN&actorEmail=admin%40localhost", token)
          .json();
  CHECK(logins.at("totalElements").get<int>() >= 2);
  CHECK(h.client()
            .get("/api/v1/audit-logs?actorEmail=nobody%40x", token)
            .json()
            .at("totalElements") == 0);
  const auto future = wire_time(format_stored(now() + std::chrono::hours(1)));
  CHECK(h.client().get("/api/v1/audit-logs?from=" + future, token).json().at("totalElements") == 0);
  const auto all = h.client().get("/api/v1/audit-logs?to=" + future, token).json();
  CHECK(all.at("totalElements").get<int>() >= 6);
  CHECK(h.client().get("/api/v1/audit-logs?size=100", token).json().at("size") == 100);
  // The policy reads the size decoded, as the handler does: encoding does not get around it.
  CHECK(h.client().get("/api/v1/audit-logs?size=%31%30%30%30", token).status == 403);
  const auto bad = h.client().get("/api/v1/audit-logs?page=-1&size=0&from=yesterday", token);
  CHECK(bad.status == 400);
  CHECK(bad.json().at("validationErrors").size() == 3);
}

TEST_CASE("e2e: a session past expiresAt becomes EXPIRED without any request") {
  Harness h;
  const auto token = h.bearer();
  h.resource("db");
  const auto key = h.key({"sessions:write", "sessions:read"});
  const auto started =
      h.client().post("/api/v1/sessions", {{"ipv4Address", "198.51.100.7"}}, with_key(key)).json();
  REQUIRE(started.at("resourceIps").size() == 1);
  CHECK(started.at("resourceIps")[0].at("status") == "APPLIED");
  CHECK(started.at("resourceIps")[0].at("ipAddress") == "198.51.100.7");
  const auto id = started.at("id").get<std::string>();
  auto store = h.open_store();
  {
    auto session = store->find_session(id);
    REQUIRE(session);
    REQUIRE(*session != nullptr);
    auto moved = **session;
    moved.expires_at = format_stored(now() - std::chrono::seconds(1));
    REQUIRE(*store->save_session(moved, std::string("ACTIVE"), nullptr));
  }
  CHECK(eventually([&] { return (*store->find_session(id))->status == "EXPIRED"; }));
  const auto after = h.client().get("/api/v1/sessions/" + id, with_key(key)).json();
  CHECK(after.at("status") == "EXPIRED");
  CHECK(after.at("endedReason") == "EXPIRED");
  CHECK(after.at("resourceIps")[0].at("status") == "REMOVED");
  CHECK(h.client()
            .get("/api/v1/audit-logs?eventType=SESSION_EXPIRE", token)
            .json()
            .at("totalElements") == 1);
}

TEST_CASE("e2e: stopping and extending follow the state machine and the duration limits") {
  Harness h;
  const auto key = h.key({"sessions:write", "sessions:read"});
  const auto id = h.client()
                      .post("/api/v1/sessions", {{"durationHours", 2}}, with_key(key))
                      .json()
                      .at("id")
                      .get<std::string>();
  const auto extended = h.client().post("/api/v1/sessions/" + id + "/extend",
                                        {{"additionalHours", 3}}, with_key(key));
  REQUIRE(extended.status == 200);
  const auto too_long = h.client().post("/api/v1/sessions/" + id + "/extend",
                                        {{"additionalHours", 100}}, with_key(key));
  CHECK(too_long.status == 400);
  CHECK(too_long.json().at("validationErrors").contains("additionalHours"));
  CHECK(h.client()
            .post("/api/v1/sessions/" + id + "/extend", {{"additionalHours", 0}}, with_key(key))
            .status == 400);
  CHECK(h.client().post("/api/v1/sessions", {{"durationHours", 0}}, with_key(key)).status == 400);
  CHECK(h.client().post("/api/v1/sessions", {{"ipv4Address", "::1"}}, with_key(key)).status == 400);

  const auto stopped =
      h.client().post("/api/v1/sessions/" + id + "/stop", nlohmann::json::object(), with_key(key));
  REQUIRE(stopped.status == 200);
  CHECK(stopped.json().at("status") == "EXPIRING");
  CHECK(stopped.json().at("endedReason") == "MANUAL");
  CHECK_FALSE(stopped.json().at("endedAt").is_null());
  CHECK(eventually([&] {
    return h.client().get("/api/v1/sessions/" + id, with_key(key)).json().at("status") ==
           "CANCELLED";
  }));
  const auto again =
      h.client().post("/api/v1/sessions/" + id + "/stop", nlohmann::json::object(), with_key(key));
  CHECK(again.status == 400);
  CHECK(h.client()
            .post("/api/v1/sessions/" + id + "/extend", {{"additionalHours", 1}}, with_key(key))
            .status == 400);
  const auto listed = h.client().get("/api/v1/sessions", with_key(key)).json();
  CHECK(listed.size() == 1);
}

TEST_CASE("e2e: API key validation errors come back as 400 with validationErrors") {
  Harness h;
  const auto token = h.bearer();
  const auto check = [&](const nlohmann::json& body, const std::string& field) {
    INFO(body.dump());
    const auto reply = h.client().post("/api/v1/api-keys", body, token);
    CHECK(reply.status == 400);
    CHECK(reply.json().at("validationErrors").contains(field));
  };
  check({{"name", "x"}, {"scopes", nlohmann::json::array()}}, "scopes");
  check({{"scopes", {"sessions:read"}}}, "name");
  check({{"name", std::string(256, 'n')}, {"scopes", {"sessions:read"}}}, "name");
  check({{"name", "x"}, {"scopes", {"nope:read"}}}, "scopes");
  check({{"name", "x"}, {"scopes", {"users:read"}}}, "scopes");
  check({{"name", "x"}, {"scopes", {"api-keys:manage"}}}, "scopes");
  check({{"name", "x"}, {"scopes", {"sessions:read"}}, {"expiresAt", "2001-01-01T00:00:00Z"}},
        "expiresAt");
  check({{"name", "x"}, {"scopes", {"sessions:read"}}, {"expiresAt", "soon"}}, "expiresAt");
}

TEST_CASE("e2e: the transport and the engine refuse bad requests with the right status") {
  Harness h;
  const auto key = h.key({"sessions:read"});
  const auto c = h.client();
  CHECK(c.get("/api/v1/sessions/%2e%2e/x", with_key(key)).status == 400);
  CHECK(c.get("/api/v1//sessions", with_key(key)).status == 400);
  CHECK(c.get("/api/v1/sessions/a%2Fb", with_key(key)).status == 400);
  CHECK(c.send("POST", "/api/v1/sessions", {{"X-API-Key", key}}, "{not json").status == 400);
  const auto unknown = c.get("/api/v1/nothing", with_key(key));
  CHECK(unknown.status == 404);
  auto wrong_method = c.send("PATCH", "/api/v1/sessions", with_key(key));
  CHECK(wrong_method.status == 405);
  CHECK(wrong_method.headers["Allow"].find("GET") != std::string::npos);
  CHECK(c.raw_status("GET /healthz HTTP/1.1\r\n\r\n") == 400);
  CHECK(c.raw_status("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') +
                     "\r\n\r\n") == 431);
  CHECK(c.raw_status(
            "POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n{}") ==
        413);
  CHECK(c.raw_status("NOT A REQUEST\r\n\r\n") == 400);
}

TEST_CASE("e2e: user-only areas for admins and members") {
  Harness h;
  const auto token = h.bearer();
  const auto created = h.client().post("/api/v1/users",
                                       {{"email", "member@localhost"},
                                        {"name", "Mem"},
                                        {"role", "member"},
                                        {"password", "member-password"}},
                                       token);
  REQUIRE(created.status == 201);
  CHECK(
      h.client()
          .post(
              "/api/v1/users",
              {{"email", "member@localhost"}, {"role", "member"}, {"password", "member-password"}},
              token)
          .status == 400);
  CHECK(h.client()
            .post("/api/v1/users", {{"email", "x"}, {"role", "boss"}, {"password", "short"}}, token)
            .json()
            .at("validationErrors")
            .size() == 3);
  CHECK(h.client().get("/api/v1/users", token).json().size() == 2);
  CHECK(h.client().get("/api/v1/organization", token).json().at("slug") == "default");
  CHECK(h.client().get("/api/v1/roles", token).status == 200);
  CHECK(h.client().get("/api/v1/sessions/admin", token).status == 200);

  const auto login = h.client().post("/api/v1/auth/login", {{"organizationSlug", "default"},
                                                            {"email", "member@localhost"},
                                                            {"password", "member-password"}});
  REQUIRE(login.status == 200);
  const std::map<std::string, std::string> member = {
      {"Authorization", "Bearer " + login.json().at("accessToken").get<std::string>()}};
  CHECK(h.client().get("/api/v1/api-keys", member).status == 403);
  CHECK(h.client().get("/api/v1/users", member).status == 403);
  CHECK(h.client().post("/api/v1/sessions", nlohmann::json::object(), member).status == 201);
  CHECK(h.client().get("/api/v1/sessions", member).json().size() == 1);
  CHECK(h.client().get("/api/v1/sessions", token).json().empty());
}

TEST_CASE("e2e: a restart keeps users, keys, sessions and audit logs") {
  Harness h;
  const auto key = h.key({"sessions:read", "sessions:write", "audit:read"});
  const auto id = h.client()
                      .post("/api/v1/sessions", nlohmann::json::object(), with_key(key))
                      .json()
                      .at("id")
                      .get<std::string>();
  h.stop();
  h.start();
  CHECK(h.notices.str().empty());  // no second bootstrap
  CHECK(h.client().get("/api/v1/sessions/" + id, with_key(key)).json().at("status") == "ACTIVE");
  CHECK(h.client()
            .get("/api/v1/audit-logs?eventType=SESSION_START", with_key(key))
            .json()
            .at("totalElements") == 1);
  CHECK(h.client().get("/api/v1/api-keys", h.bearer()).json().size() == 1);
}
