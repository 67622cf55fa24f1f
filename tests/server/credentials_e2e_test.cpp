// End-to-end: /api/v1/credentials over HTTP on the real server (both stores), the
// background check of new credentials, and the promise that a credential's data is never
// seen again: not in any response, error, audit entry, log line, nor in the database
// files, where it is only sealed. Then the secrets key: created beside a SQLite database
// on first start, and a key that does not open the stored secrets stops the start.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <set>

#include "harness.hpp"
#include "server/crypto.hpp"
#include "server/secrets.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;

namespace {

// A secret marker in every field of the data, so that a leak of any part shows.
const std::string marked_key_id = "AKIAZQXWMARKER000007";
const std::string marked_secret = "SeCrEtMaRkEr/do-not-leak/0123456789abcde";  // 40 characters

nlohmann::json aws_credential(const std::string& name, const std::string& key_id = marked_key_id,
                              const std::string& secret = marked_secret) {
  return {{"name", name},
          {"provider", "AWS"},
          {"credentialType", "ACCESS_KEY"},
          {"credentialData", {{"accessKeyId", key_id}, {"secretAccessKey", secret}}}};
}

}  // namespace

TEST_CASE("e2e: credentials are created, listed, checked in the background and deleted") {
  Harness h;
  const auto admin = h.bearer();
  const auto created = h.client().post("/api/v1/credentials", aws_credential("AWS Prod"), admin);
  REQUIRE(created.status == 201);
  const auto body = created.json();
  std::set<std::string> keys;
  for (const auto& [key, value] : body.items()) keys.insert(key);
  CHECK(keys == std::set<std::string>{"id", "name", "provider", "credentialType", "isValid",
                                      "lastVerifiedAt", "verificationError", "createdAt",
                                      "updatedAt"});
  CHECK(body.at("name") == "AWS Prod");
  CHECK(body.at("provider") == "AWS");
  CHECK(body.at("credentialType") == "ACCESS_KEY");
  CHECK(body.at("isValid").is_null());  // not checked yet
  CHECK(body.at("lastVerifiedAt").is_null());
  const auto id = id_of(created);

  // The background check finds the AWS formats right.
  CHECK(eventually([&] {
    return h.client().get("/api/v1/credentials/" + id, admin).json().at("isValid") == true;
  }));
  const auto checked_reply = h.client().get("/api/v1/credentials/" + id, admin);
  REQUIRE(checked_reply.status == 200);
  const auto checked = checked_reply.json();
  CHECK(key_set_of(checked) == key_set_of(body));  // the same fields, still no secret
  CHECK(checked.at("isValid") == true);
  CHECK_FALSE(checked.at("lastVerifiedAt").is_null());
  CHECK(checked.at("verificationError").is_null());
  // And finds a malformed access key id wrong, saying which field without its value.
  const auto malformed = h.client().post(
      "/api/v1/credentials", aws_credential("Typo", "AKIA-not-an-id", marked_secret), admin);
  REQUIRE(malformed.status == 201);
  CHECK(eventually([&] {
    return h.client().get("/api/v1/credentials/" + id_of(malformed), admin).json().at("isValid") ==
           false;
  }));
  const auto failed = h.client().get("/api/v1/credentials/" + id_of(malformed), admin).json();
  CHECK(failed.at("verificationError") ==
        "accessKeyId is not an AWS access key id (AKIA or ASIA and 16 more capitals or digits)");

  const auto listed = h.client().get("/api/v1/credentials", admin);
  REQUIRE(listed.status == 200);
  REQUIRE(listed.json().size() == 2);
  CHECK(listed.json()[0].at("name") == "AWS Prod");  // by name
  CHECK(listed.json()[1].at("name") == "Typo");
  for (const auto& item : listed.json()) CHECK(key_set_of(item) == key_set_of(body));

  // A GCP service account may come as the key file's text.
  const nlohmann::json gcp_file = {
      {"type", "service_account"},
      {"project_id", "p"},
      {"private_key_id", "k"},
      {"private_key", "-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n"},
      {"client_email", "sa@p.iam.gserviceaccount.com"},
      {"client_id", "1"},
      {"auth_uri", "https://accounts.google.com/o/oauth2/auth"},
      {"token_uri", "https://oauth2.googleapis.com/token"},
      {"auth_provider_x509_cert_url", "https://www.googleapis.com/oauth2/v1/certs"},
      {"client_x509_cert_url", "https://www.googleapis.com/robot/v1/x"}};
  const auto gcp = h.client().post("/api/v1/credentials",
                                   {{"name", "GCP"},
                                    {"provider", "GCP"},
                                    {"credentialType", "SERVICE_ACCOUNT"},
                                    {"credentialData", gcp_file.dump()}},
                                   admin);
  CHECK(gcp.status == 201);

  // Validation: 400 with validationErrors, naming fields, never the values sent.
  const auto check_refused = [&](const nlohmann::json& request, const std::string& field) {
    INFO(request.dump());
    const auto reply = h.client().post("/api/v1/credentials", request, admin);
    CHECK(reply.status == 400);
    CHECK(reply.json().at("validationErrors").contains(field));
    CHECK(reply.body.find(marked_secret) == std::string::npos);
    CHECK(reply.body.find(marked_key_id) == std::string::npos);
  };
  auto request = aws_credential("x");
  request.erase("name");
  check_refused(request, "name");
  check_refused(patched(aws_credential("x"), nlohmann::json{{"provider", "IBM"}}), "provider");
  check_refused(patched(aws_credential("x"), nlohmann::json{{"credentialType", "SERVICE_ACCOUNT"}}),
                "credentialType");
  check_refused(patched(aws_credential("x"),
                        nlohmann::json{{"credentialData", {{"secretAccessKey", nullptr}}}}),
                "credentialData");
  request = aws_credential("x");
  request.erase("credentialData");
  check_refused(request, "credentialData");

  // A credential a resource uses cannot be deleted; then it can, once.
  const auto resource = h.client().post("/api/v1/resources", aws_resource(id), admin);
  REQUIRE(resource.status == 201);
  CHECK(resource.json().at("credentialName") == "AWS Prod");
  const auto in_use = h.client().send("DELETE", "/api/v1/credentials/" + id, admin);
  CHECK(in_use.status == 400);
  CHECK(in_use.json().at("message") ==
        "Cannot delete credential linked to 1 resource: delete them or move them to another "
        "credential first");
  REQUIRE(h.client().send("DELETE", "/api/v1/resources/" + id_of(resource), admin).status == 204);
  CHECK(h.client().send("DELETE", "/api/v1/credentials/" + id, admin).status == 204);
  const auto gone = h.client().get("/api/v1/credentials/" + id, admin);
  CHECK(gone.status == 404);
  CHECK(gone.json().at("message") == "Credential with ID " + id + " not found");
  CHECK(h.client().send("DELETE", "/api/v1/credentials/" + id, admin).status == 404);

  // Every change is audited, without any of the data.
  const auto audit = h.client().get("/api/v1/audit-logs?size=100", admin);
  for (const std::string event : {"CREDENTIAL_CREATE", "CREDENTIAL_VERIFY", "CREDENTIAL_DELETE"}) {
    INFO(event);
    CHECK(audit.body.find("\"" + event + "\"") != std::string::npos);
  }
  const auto creates =
      h.client().get("/api/v1/audit-logs?eventType=CREDENTIAL_CREATE", admin).json();
  REQUIRE(creates.at("totalElements") == 3);
  CHECK(creates.at("content")[2].at("details") ==
        nlohmann::json{{"credentialType", "ACCESS_KEY"}, {"provider", "AWS"}});
  CHECK(creates.at("content")[2].at("resourceType") == "CREDENTIAL");
  const auto verifies =
      h.client().get("/api/v1/audit-logs?eventType=CREDENTIAL_VERIFY", admin).json().at("content");
  const auto failure = std::find_if(verifies.begin(), verifies.end(), [](const nlohmann::json& e) {
    return e.at("result") == "FAILURE";
  });
  REQUIRE(failure != verifies.end());
  CHECK(failure->at("actorType") == "SYSTEM");
}

TEST_CASE("e2e: members, API keys and other organizations are refused the credentials") {
  Harness h;
  const auto admin = h.bearer();
  const auto id = h.credential();
  const auto member = h.signed_in("member@localhost", "member");
  const auto other = h.signed_in("boss@other.test", "admin", "other");
  const auto key = h.key({"sessions:read", "sessions:write", "resources:read", "audit:read"});
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", "/api/v1/credentials"},
      {"GET", "/api/v1/credentials/" + id},
      {"POST", "/api/v1/credentials"},
      {"DELETE", "/api/v1/credentials/" + id}};
  for (const auto& [method, path] : routes) {
    INFO(method << " " << path);
    const auto body = method == "POST" ? aws_credential("x").dump() : std::string();
    const auto as_member = h.client().send(method, path, member, body);
    CHECK(as_member.status == 403);
    CHECK(as_member.json().at("message") ==
          "User does not have required scope: credentials:manage");
    const auto as_key = h.client().send(method, path, with_key(key), body);
    CHECK(as_key.status == 403);
    CHECK(as_key.body == key_not_supported_body);
    CHECK(h.client().send(method, path, {}, body).status == 401);
  }
  CHECK(h.client().get("/api/v1/credentials/" + id, other).status == 404);
  CHECK(h.client().send("DELETE", "/api/v1/credentials/" + id, other).status == 404);
  CHECK(h.client().get("/api/v1/credentials", other).json().empty());
  // The other organization's resources cannot name this one's credential either.
  const auto foreign = h.client().post("/api/v1/resources", aws_resource(id), other);
  CHECK(foreign.status == 400);
  CHECK(foreign.json().at("validationErrors").at("credentialId") ==
        "Credential with ID " + id + " not found");
  CHECK(h.client().get("/api/v1/credentials/" + id, admin).status == 200);
}

TEST_CASE("e2e: a credential's data is in no response, log, audit entry or database file") {
  Harness h;
  const auto admin = h.bearer();
  const auto created = h.client().post("/api/v1/credentials", aws_credential("AWS Prod"), admin);
  REQUIRE(created.status == 201);
  const auto id = id_of(created);
  // An error path too: a body refused for another field still holds the data.
  const auto refused =
      h.client().post("/api/v1/credentials",
                      patched(aws_credential("x"), nlohmann::json{{"provider", "IBM"}}), admin);
  CHECK(refused.status == 400);
  REQUIRE(eventually([&] {
    return h.client().get("/api/v1/credentials/" + id, admin).json().at("isValid") == true;
  }));
  const auto resource = h.client().post("/api/v1/resources", aws_resource(id), admin);
  REQUIRE(resource.status == 201);
  // Verifying opens the data (the provider checks it) and still shows none of it.
  const auto verified = h.client().post("/api/v1/resources/" + id_of(resource) + "/verify",
                                        nlohmann::json::object(), admin);
  CHECK(verified.status == 200);
  std::vector<std::string> seen = {created.body,
                                   refused.body,
                                   resource.body,
                                   verified.body,
                                   h.client().get("/api/v1/credentials", admin).body,
                                   h.client().get("/api/v1/credentials/" + id, admin).body,
                                   h.client().get("/api/v1/resources", admin).body,
                                   h.client().get("/api/v1/audit-logs?size=100", admin).body};
  // The database files while the server runs (the WAL holds the latest writes) and after.
  const auto scan_files = [&] {
    for (const auto& entry : std::filesystem::directory_iterator(h.dir.path())) {
      seen.push_back(read_file(entry.path()));
    }
  };
  scan_files();
  h.stop();
  scan_files();
  if (test_store() == StoreKind::postgres) {
    const auto& cluster = PgCluster::shared();
    const auto rows = cluster.all_rows(cluster.database_of(h.config.database_path));
    CHECK(rows.find("xc20p1:") != std::string::npos);  // the data is there, sealed
    seen.push_back(rows);
  } else {
    CHECK(read_file(h.config.database_path).find("xc20p1:") != std::string::npos);
  }
  for (const auto& text : seen) {
    CHECK(text.find(marked_secret) == std::string::npos);
    CHECK(text.find(marked_secret.substr(0, 12)) == std::string::npos);
    CHECK(text.find(marked_key_id) == std::string::npos);
  }
  CHECK(read_file(h.config.log_file).find("POST /api/v1/credentials 201") != std::string::npos);
}

TEST_CASE("secrets: the first start creates a key file beside the database, later ones reuse it") {
  Harness h;
  const auto path = h.config.database_path + ".secrets-key";
  CHECK(h.notices.str().find("created the secrets key file " + path + " (mode 0600)") !=
        std::string::npos);
  struct stat status {};
  REQUIRE(::stat(path.c_str(), &status) == 0);
  CHECK((status.st_mode & 0777) == 0600);
  const auto before = read_file(path);
  const auto resource = h.resource("db");
  h.stop();
  h.start();
  CHECK(h.notices.str().empty());
  CHECK(read_file(path) == before);
  // The data sealed before the restart still opens: verifying needs it.
  CHECK(h.client()
            .post("/api/v1/resources/" + resource + "/verify", nlohmann::json::object(), h.bearer())
            .status == 200);
}

TEST_CASE("secrets: a key that does not open the stored secrets stops the start") {
  Harness h;
  h.resource("db");
  h.stop();
  setenv(secrets_key_variable, std::string(64, 'f').c_str(), 1);
  std::ostringstream notices;
  const auto refused = Server::start(h.config, notices);
  unsetenv(secrets_key_variable);
  REQUIRE_FALSE(refused);
  REQUIRE(refused.error().size() == 1);
  CHECK(refused.error()[0] ==
        h.config.database_path +
            ": error: the secrets key from SCOPEGATE_SECRETS_KEY does not open the secrets "
            "stored in this database: they were sealed with another key. Start with the key this "
            "database was first started with (SCOPEGATE_SECRETS_KEY or its key file); without it "
            "its credentials cannot be read");
  // The right key (its file) starts it again.
  h.start();
  CHECK(h.client().get("/api/v1/credentials", h.bearer()).json().size() == 1);
}

TEST_CASE("secrets: a malformed SCOPEGATE_SECRETS_KEY stops the start") {
  TempDir dir;
  setenv(secrets_key_variable, "0123", 1);
  const auto refusal = start_refusal(dir, [](Config&) {});
  unsetenv(secrets_key_variable);
  CHECK(refusal.find("error: SCOPEGATE_SECRETS_KEY must be 32 bytes as 64 hex digits or base64") !=
        std::string::npos);
}
