// End-to-end: scope names as OAuth 2.0 defines them (docs/language.md, "Scope names") in
// the server: an admin creates a key with names the policy declares, the key is stored
// and listed with them, it is audited with them, and the engine grants by them.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "harness.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;

namespace {

const std::string drive = "https://www.googleapis.com/auth/drive.readonly";

// The shipped policy, plus scopes named the way Google and Microsoft Graph name theirs.
void write_policies(const std::filesystem::path& to) {
  for (const auto& entry : std::filesystem::directory_iterator(SCOPEGATE_SOURCE_DIR "/policies")) {
    if (entry.path().extension() == ".policy") {
      std::filesystem::copy_file(entry.path(), to / entry.path().filename());
    }
  }
  std::ofstream(to / "oauth.policy") << "scope \"" << drive << "\" {\n"
                                     << "  implies sessions:read\n}\n\n"
                                     << "scope User.Read.All {\n  implies audit:read\n}\n";
}

}  // namespace

TEST_CASE("e2e: keys are created, listed, audited and granted with OAuth 2.0 scope names") {
  TempDir policies;
  write_policies(policies.path());
  Harness h([&](Harness& harness) { harness.config.policy_directory = policies.path().string(); });
  const auto token = h.bearer();
  const auto reply = h.client().post(
      "/api/v1/api-keys", {{"name", "google"}, {"scopes", {drive, "User.Read.All"}}}, token);
  INFO(reply.body);
  REQUIRE(reply.status == 201);
  const auto created = reply.json();
  CHECK(created.at("scopes") == nlohmann::json::array({drive, "User.Read.All"}));
  const auto key = created.at("plainTextKey").get<std::string>();

  const auto listed = h.client().get("/api/v1/api-keys", token).json();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].at("scopes") == nlohmann::json::array({drive, "User.Read.All"}));

  CHECK(h.client().get("/api/v1/sessions", with_key(key)).status == 200);
  CHECK(h.client().get("/api/v1/audit-logs", with_key(key)).status == 200);
  const auto audit = h.client().get("/api/v1/audit-logs?eventType=API_KEY_CREATE", token);
  REQUIRE(audit.status == 200);
  const auto entries = audit.json().at("content");
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].dump().find(drive) != std::string::npos);
  CHECK(entries[0].dump().find("User.Read.All") != std::string::npos);

  const auto unknown =
      h.client().post("/api/v1/api-keys", {{"name", "typo"}, {"scopes", {"User.Read.all"}}}, token);
  CHECK(unknown.status == 400);
  CHECK(unknown.json().at("validationErrors").at("scopes") == "unknown scope: User.Read.all");
}
