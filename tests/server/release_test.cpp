// End-to-end: releasing a future scope is one edit of a copy of the shipped policy, in
// api.policy only: `future scope X { summary ... }` becomes `scope X { summary ... routes }`.
// Nothing else changes (the user scopes that grant those routes to admins stay, and the
// shipped policy tests still pass). For credentials:read and resources:write, the
// released policy is started on, and separately hot-reloaded into a running server; a
// key created with the scope then gets the documented answers, and the routes the scope
// does not list stay refused to it.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>

#include "harness.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;

namespace {

namespace fs = std::filesystem;

struct Release {
  std::string future;    // the shipped block, exactly
  std::string released;  // what the author writes instead
};

const Release credentials_read{
    "future scope credentials:read {\n  summary \"View credentials (without secrets)\"\n}",
    "scope credentials:read {\n"
    "  summary \"View credentials (without secrets)\"\n"
    "\n"
    "  GET /api/v1/credentials       \"List credentials\"\n"
    "  GET /api/v1/credentials/{id}  \"Get credential details\"\n"
    "}"};

const Release resources_write{
    "future scope resources:write {\n  summary \"Create and modify resources\"\n}",
    "scope resources:write {\n"
    "  summary \"Create and modify resources\"\n"
    "\n"
    "  POST   /api/v1/resources              \"Create a resource\"\n"
    "  PATCH  /api/v1/resources/{id}         \"Update a resource\"\n"
    "  DELETE /api/v1/resources/{id}         \"Delete a resource\"\n"
    "  POST   /api/v1/resources/{id}/verify  \"Verify a resource\"\n"
    "}"};

// The shipped policy directory, tests included, copied to `to`.
void copy_shipped(const fs::path& to) {
  fs::copy(SCOPEGATE_SOURCE_DIR "/policies", to, fs::copy_options::recursive);
}

// The one edit: the future block replaced in api.policy, through a rename as editors do.
void release(const fs::path& policies, const Release& edit) {
  const auto file = policies / "api.policy";
  auto text = read_file(file);
  const auto at = text.find(edit.future);
  REQUIRE(at != std::string::npos);
  REQUIRE(text.find(edit.future, at + 1) == std::string::npos);
  text.replace(at, edit.future.size(), edit.released);
  std::ofstream(file.string() + ".tmp", std::ios::trunc) << text;
  fs::rename(file.string() + ".tmp", file);
}

enum class How { start, reload };

// A server on the released policy: started on it, or started on the shipped copy and
// reloaded after the edit (the watcher is off: reload() is SIGHUP's path).
std::unique_ptr<Harness> released_server(TempDir& policies, const Release& edit, How how,
                                         const std::string& scope) {
  copy_shipped(policies.path() / "p");
  const auto directory = policies.path() / "p";
  if (how == How::start) release(directory, edit);
  auto h = std::make_unique<Harness>(
      [&](Harness& harness) { harness.config.policy_directory = directory.string(); });
  if (how == How::reload) {
    const auto future =
        h->client().post("/api/v1/api-keys", {{"name", "k"}, {"scopes", {scope}}}, h->bearer());
    CHECK(future.status == 400);  // still a future scope
    release(directory, edit);
    const auto outcome = h->server->reload("test");
    for (const auto& problem : outcome.problems) UNSCOPED_INFO(problem);
    REQUIRE(outcome.applied);
  }
  return h;
}

const std::string refused_credentials_read =
    R"({"error":"Insufficient permissions","message":"API key does not have required scope: credentials:read"})";
const std::string refused_resources_read =
    R"({"error":"Insufficient permissions","message":"API key does not have required scope: resources:read"})";

void check_credentials_read(Harness& h) {
  const auto admin = h.bearer();
  const auto credential = h.credential("AWS Prod");
  const auto key = h.key({"credentials:read"}, "inventory");
  const auto listed = h.client().get("/api/v1/credentials", with_key(key));
  REQUIRE(listed.status == 200);
  REQUIRE(listed.json().size() == 1);
  CHECK(listed.json()[0].at("id") == credential);
  CHECK(listed.json()[0].at("name") == "AWS Prod");
  const auto one = h.client().get("/api/v1/credentials/" + credential, with_key(key));
  REQUIRE(one.status == 200);
  const auto object = one.json();
  std::set<std::string> fields;
  for (const auto& [field, value] : object.items()) fields.insert(field);
  CHECK(fields == std::set<std::string>{"id", "name", "provider", "credentialType", "isValid",
                                        "lastVerifiedAt", "verificationError", "createdAt",
                                        "updatedAt"});
  for (const auto* body : {&listed.body, &one.body}) {
    CHECK(body->find("wJalrXUtnFEMI") == std::string::npos);
    CHECK(body->find("AKIAIOSFODNN7EXAMPLE") == std::string::npos);
  }
  CHECK(h.client().get("/api/v1/credentials/nope", with_key(key)).status == 404);
  // The write routes stay user-only; a key without the scope is told which scope it lacks.
  CHECK(h.client().post("/api/v1/credentials", nlohmann::json::object(), with_key(key)).body ==
        key_not_supported_body);
  CHECK(h.client().send("DELETE", "/api/v1/credentials/" + credential, with_key(key)).body ==
        key_not_supported_body);
  const auto other = h.key({"resources:read"});
  CHECK(h.client().get("/api/v1/credentials", with_key(other)).body == refused_credentials_read);
  // Admins keep their access through credentials:manage (and now credentials:read).
  CHECK(h.client().get("/api/v1/credentials", admin).status == 200);
  CHECK(h.client().get("/api/v1/credentials/" + credential, admin).status == 200);
}

void check_resources_write(Harness& h) {
  const auto admin = h.bearer();
  const auto credential = h.credential("AWS Prod");
  const auto key = h.key({"resources:write"}, "provisioner");
  const nlohmann::json body = aws_resource(credential);
  const auto created = h.client().post("/api/v1/resources", body, with_key(key));
  REQUIRE(created.status == 201);
  CHECK(created.json().at("isActive") == false);
  const auto path = "/api/v1/resources/" + created.json().at("id").get<std::string>();
  const auto patched = h.client().send("PATCH", path, with_key(key), R"({"name":"db2"})");
  REQUIRE(patched.status == 200);
  CHECK(patched.json().at("name") == "db2");
  const auto verified = h.client().post(path + "/verify", nlohmann::json::object(), with_key(key));
  REQUIRE(verified.status == 200);
  CHECK(verified.json().at("isActive") == true);
  const auto audit = h.client().get("/api/v1/audit-logs?eventType=RESOURCE_CREATE", admin).json();
  REQUIRE(audit.at("content").size() == 1);
  CHECK(audit.at("content")[0].at("actorType") == "API_KEY");
  // resources:write does not imply resources:read, nor reach credentials.
  CHECK(h.client().get(path, with_key(key)).body == refused_resources_read);
  CHECK(h.client().post("/api/v1/credentials", nlohmann::json::object(), with_key(key)).body ==
        key_not_supported_body);
  CHECK(h.client().send("DELETE", path, with_key(key)).status == 204);
  // Without the scope, a key is told the one it lacks; admins still write resources.
  const auto reader = h.key({"resources:read"});
  CHECK(
      h.client().post("/api/v1/resources", body, with_key(reader)).body ==
      R"({"error":"Insufficient permissions","message":"API key does not have required scope: resources:write"})");
  CHECK(h.client().post("/api/v1/resources", body, admin).status == 201);
}

}  // namespace

TEST_CASE("e2e: credentials:read released by its one edit, on start") {
  TempDir policies;
  auto h = released_server(policies, credentials_read, How::start, "credentials:read");
  check_credentials_read(*h);
}

TEST_CASE("e2e: credentials:read released by its one edit, by hot reload") {
  TempDir policies;
  auto h = released_server(policies, credentials_read, How::reload, "credentials:read");
  check_credentials_read(*h);
}

TEST_CASE("e2e: resources:write released by its one edit, on start") {
  TempDir policies;
  auto h = released_server(policies, resources_write, How::start, "resources:write");
  check_resources_write(*h);
}

TEST_CASE("e2e: resources:write released by its one edit, by hot reload") {
  TempDir policies;
  auto h = released_server(policies, resources_write, How::reload, "resources:write");
  check_resources_write(*h);
}
