// End-to-end checks of what docs/server.md claims about credentials, resources and static
// IP rules and that no other test asserts (docs-20 review, section 3): the AZURE and APISIX
// types, the shipped provider's offline checks for GCP and APISIX, the 16384-byte cap,
// extra keys kept sealed, the CREDENTIAL_DELETE and static IP rule audit details, PATCH
// ignoring resourceType and null, the 100-resource cap of a rule, and a resource's
// verification failing on the provider's look at the data.
#include <catch2/catch.hpp>

#include "admin_fixture.hpp"
#include "database_sql.hpp"
#include "server/secrets.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;

namespace {

const nlohmann::json azure_data = {
    {"tenantId", "t"}, {"clientId", "c"}, {"clientSecret", "s"}, {"subscriptionId", "sub"}};

nlohmann::json gcp_data() {
  return {{"type", "service_account"},
          {"project_id", "p"},
          {"private_key_id", "k"},
          {"private_key", "-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n"},
          {"client_email", "sa@p.iam.gserviceaccount.com"},
          {"client_id", "1"},
          {"auth_uri", "https://accounts.google.com/o/oauth2/auth"},
          {"token_uri", "https://oauth2.googleapis.com/token"},
          {"auth_provider_x509_cert_url", "https://www.googleapis.com/oauth2/v1/certs"},
          {"client_x509_cert_url", "https://www.googleapis.com/robot/v1/metadata/x509/sa"}};
}

Reply post_credential(Harness& h, const Headers& admin, const std::string& name,
                      const std::string& provider, const std::string& type,
                      const nlohmann::json& data) {
  return h.client().post(
      "/api/v1/credentials",
      {{"name", name}, {"provider", provider}, {"credentialType", type}, {"credentialData", data}},
      admin);
}

// The credential once the sweeper has checked it.
nlohmann::json checked_credential(Harness& h, const Headers& admin, const std::string& id) {
  nlohmann::json body;
  REQUIRE(eventually([&] {
    body = h.client().get("/api/v1/credentials/" + id, admin).json();
    return !body.at("isValid").is_null();
  }));
  return body;
}

}  // namespace

TEST_CASE(
    "e2e: AZURE SERVICE_PRINCIPAL and APISIX ADMIN_API_KEY credentials need their keys, and "
    "an APISIX endpoint must be an http(s) URL") {
  Harness h;
  const auto admin = h.bearer();
  const auto azure = post_credential(h, admin, "Azure", "AZURE", "SERVICE_PRINCIPAL", azure_data);
  REQUIRE(azure.status == 201);
  CHECK(azure.json().at("provider") == "AZURE");
  CHECK(azure.json().at("credentialType") == "SERVICE_PRINCIPAL");
  CHECK(checked_credential(h, admin, id_of(azure)).at("isValid") == true);
  auto without_secret = azure_data;
  without_secret.erase("clientSecret");
  const auto missing =
      post_credential(h, admin, "Azure 2", "AZURE", "SERVICE_PRINCIPAL", without_secret);
  CHECK(missing.status == 400);
  CHECK(missing.json().at("validationErrors").at("credentialData") ==
        "`clientSecret` is required, a non-empty string (AZURE SERVICE_PRINCIPAL needs tenantId, "
        "clientId, clientSecret, subscriptionId)");
  CHECK(post_credential(h, admin, "Azure 3", "AZURE", "ACCESS_KEY", azure_data).status == 400);

  const auto apisix =
      post_credential(h, admin, "Gateway", "APISIX", "ADMIN_API_KEY",
                      {{"endpoint", "https://apisix.example:9180"}, {"apiKey", "k"}});
  REQUIRE(apisix.status == 201);
  CHECK(checked_credential(h, admin, id_of(apisix)).at("isValid") == true);
  const auto no_key = post_credential(h, admin, "Gateway 2", "APISIX", "ADMIN_API_KEY",
                                      {{"endpoint", "https://apisix.example"}});
  CHECK(no_key.status == 400);
  CHECK(no_key.json().at("validationErrors").at("credentialData") ==
        "`apiKey` is required, a non-empty string (APISIX ADMIN_API_KEY needs endpoint, apiKey)");
  const auto not_url = post_credential(h, admin, "Gateway 3", "APISIX", "ADMIN_API_KEY",
                                       {{"endpoint", "apisix.example:9180"}, {"apiKey", "k"}});
  REQUIRE(not_url.status == 201);
  const auto failed = checked_credential(h, admin, id_of(not_url));
  CHECK(failed.at("isValid") == false);
  CHECK(failed.at("verificationError") == "endpoint is not an http:// or https:// URL");
}

TEST_CASE("e2e: the shipped provider checks a GCP service account's type, private key and email") {
  Harness h;
  const auto admin = h.bearer();
  const auto good = post_credential(h, admin, "GCP", "GCP", "SERVICE_ACCOUNT", gcp_data());
  REQUIRE(good.status == 201);
  CHECK(checked_credential(h, admin, id_of(good)).at("isValid") == true);
  const std::vector<std::pair<nlohmann::json, std::string>> broken = {
      {{{"type", "user"}}, "type is not `service_account`"},
      {{{"private_key", "not a key"}}, "private_key is not a PEM private key"},
      {{{"client_email", "sa.example"}}, "client_email is not an email address"}};
  int n = 0;
  for (const auto& [change, reason] : broken) {
    INFO(reason);
    const auto created = post_credential(h, admin, "GCP " + std::to_string(++n), "GCP",
                                         "SERVICE_ACCOUNT", patched(gcp_data(), change));
    REQUIRE(created.status == 201);
    const auto checked = checked_credential(h, admin, id_of(created));
    CHECK(checked.at("isValid") == false);
    CHECK(checked.at("verificationError") == reason);
  }
}

TEST_CASE("e2e: each credentialData value is at most 16384 bytes") {
  Harness h;
  const auto admin = h.bearer();
  const auto data = [](std::size_t secret_length) {
    return nlohmann::json{{"accessKeyId", "AKIAIOSFODNN7EXAMPLE"},
                          {"secretAccessKey", std::string(secret_length, 's')}};
  };
  const auto too_long = post_credential(h, admin, "Long", "AWS", "ACCESS_KEY", data(16385));
  CHECK(too_long.status == 400);
  CHECK(too_long.json().at("validationErrors").at("credentialData") ==
        "`secretAccessKey` is longer than 16384 bytes");
  CHECK(too_long.body.find(std::string(100, 's')) == std::string::npos);
  CHECK(post_credential(h, admin, "Longest", "AWS", "ACCESS_KEY", data(16384)).status == 201);
  // Bytes, not characters: 8193 two-byte characters are too many.
  std::string accented;
  for (int i = 0; i < 8193; ++i) accented += "\xc3\xa9";
  const auto multibyte =
      post_credential(h, admin, "Accented", "AWS", "ACCESS_KEY",
                      {{"accessKeyId", "AKIAIOSFODNN7EXAMPLE"}, {"secretAccessKey", accented}});
  CHECK(multibyte.status == 400);
  CHECK(multibyte.json().at("validationErrors").at("credentialData") ==
        "`secretAccessKey` is longer than 16384 bytes");
}

TEST_CASE("e2e: keys a credential type does not need are kept, sealed with the rest") {
  Harness h;
  const auto admin = h.bearer();
  const auto created = post_credential(h, admin, "AWS", "AWS", "ACCESS_KEY",
                                       {{"accessKeyId", "AKIAIOSFODNN7EXAMPLE"},
                                        {"secretAccessKey", std::string(40, 'k')},
                                        {"sessionNote", "kept-extra-value"}});
  REQUIRE(created.status == 201);
  const auto id = id_of(created);
  CHECK(created.body.find("kept-extra-value") == std::string::npos);
  const auto stored = h.open_store()->find_credential(id);
  REQUIRE(stored);
  REQUIRE(stored->has_value());
  CHECK((*stored)->sealed_data.find("kept-extra-value") == std::string::npos);
  const auto key_text =
      read_file(test_store() == StoreKind::postgres ? h.config.secrets_key_file
                                                    : h.config.database_path + ".secrets-key");
  const auto key = parse_secrets_key(key_text);
  REQUIRE(key);
  const Secrets secrets(*key);
  const auto opened = secrets.open((*stored)->sealed_data, credential_context(id));
  REQUIRE(opened);
  const auto data = nlohmann::json::parse(*opened);
  CHECK(data.at("sessionNote") == "kept-extra-value");
  CHECK(data.at("accessKeyId") == "AKIAIOSFODNN7EXAMPLE");
}

TEST_CASE("e2e: CREDENTIAL_DELETE names the credential's provider and type") {
  Harness h;
  AdminFixture f(h);
  const auto id = h.credential("AWS gone");
  REQUIRE(del(h, "/api/v1/credentials/" + id, f.admin).status == 204);
  const auto entries = h.client()
                           .get("/api/v1/audit-logs?eventType=CREDENTIAL_DELETE", f.admin)
                           .json()
                           .at("content");
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].at("resourceType") == "CREDENTIAL");
  CHECK(entries[0].at("resourceId") == id);
  CHECK(entries[0].at("resourceName") == "AWS gone");
  CHECK(entries[0].at("details") ==
        nlohmann::json{{"provider", "AWS"}, {"credentialType", "ACCESS_KEY"}});
}

TEST_CASE("e2e: PATCH of a resource ignores resourceType and null for the fields it cannot clear") {
  Harness h;
  const auto admin = h.bearer();
  const auto id = h.resource("db");
  const auto path = "/api/v1/resources/" + id;
  const auto before = h.client().get(path, admin).json();
  const auto changed = h.client().send(
      "PATCH", path, admin,
      R"({"resourceType":"VPC_FIREWALL","name":null,"resourceIdentifier":null,"credentialId":null,"isActive":null})");
  REQUIRE(changed.status == 200);
  const auto after = changed.json();
  for (const auto* field :
       {"resourceType", "name", "resourceIdentifier", "credentialId", "isActive", "region"}) {
    INFO(field);
    CHECK(after.at(field) == before.at(field));
  }
  CHECK(after.at("resourceType") == "SECURITY_GROUP");
  CHECK(after.at("isActive") == true);
}

TEST_CASE("e2e: a static IP rule names at most 100 resources, and its audit entries name them") {
  Harness h;
  AdminFixture f(h);
  const auto db = f.resource("db");
  std::vector<std::string> many;
  for (int i = 0; i < 101; ++i) many.push_back(generate_uuid());
  const auto refused = h.client().post(
      "/api/v1/static-ip-rules",
      {{"label", "office"}, {"ipAddress", "192.0.2.1"}, {"resourceIds", many}}, f.admin);
  CHECK(refused.status == 400);
  CHECK(refused.json().at("validationErrors").at("resourceIds") == "at most 100 resources");

  const auto created = h.client().post(
      "/api/v1/static-ip-rules",
      {{"label", "office"}, {"ipAddress", "192.0.2.1"}, {"resourceIds", {db}}}, f.admin);
  REQUIRE(created.status == 201);
  const auto id = id_of(created);
  REQUIRE(del(h, "/api/v1/static-ip-rules/" + id, f.admin).status == 204);
  for (const auto* event : {"STATIC_IP_RULE_CREATED", "STATIC_IP_RULE_DELETED"}) {
    INFO(event);
    const auto entries = h.client()
                             .get(std::string("/api/v1/audit-logs?eventType=") + event, f.admin)
                             .json()
                             .at("content");
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].at("details") == nlohmann::json{{"ipAddress", "192.0.2.1/32"},
                                                     {"resourceIds", nlohmann::json::array({db})}});
  }
}

TEST_CASE(
    "e2e: verifying a resource fails when the provider finds its credential's data malformed, "
    "even before the credential's own check") {
  Harness h;
  const auto admin = h.bearer();
  // Another program keeps the sweeper from recording any credential check: the credential
  // stays unchecked (isValid null), so only the provider's look at the data can fail it.
  if (test_store() == StoreKind::postgres) {
    sql_rows(h,
             "CREATE FUNCTION refuse_checks() RETURNS trigger LANGUAGE plpgsql AS "
             "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$");
    sql_rows(h,
             "CREATE TRIGGER refuse_checks BEFORE UPDATE ON credentials FOR EACH ROW EXECUTE "
             "FUNCTION refuse_checks()");
  } else {
    sql_rows(h,
             "CREATE TRIGGER refuse_checks BEFORE UPDATE ON credentials BEGIN SELECT "
             "RAISE(ABORT, 'refused by the test'); END");
  }
  const auto credential = post_credential(
      h, admin, "Typo", "AWS", "ACCESS_KEY",
      {{"accessKeyId", "AKIA-not-an-id"}, {"secretAccessKey", std::string(40, 'k')}});
  REQUIRE(credential.status == 201);
  const auto created =
      h.client().post("/api/v1/resources", aws_resource(id_of(credential), "db"), admin);
  REQUIRE(created.status == 201);
  const auto path = "/api/v1/resources/" + id_of(created);
  const auto verified = h.client().post(path + "/verify", nlohmann::json::object(), admin);
  CHECK(h.client().get("/api/v1/credentials/" + id_of(credential), admin).json().at("isValid") ==
        nullptr);
  CHECK(verified.status == 400);
  CHECK(message_of(verified) ==
        "Verification failed: accessKeyId is not an AWS access key id (AKIA or ASIA and 16 more "
        "capitals or digits)");
  const auto resource = h.client().get(path, admin).json();
  CHECK(resource.at("isActive") == false);
  CHECK_FALSE(resource.at("lastVerifiedAt").is_null());
}
