// `scopegate migrate` below the command line: copy_database() between SQLite and
// PostgreSQL, both ways, on a database with a row in every table.
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <set>

#include "pg_cluster.hpp"
#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/store/copy_database.hpp"
#include "server/store/open_store.hpp"
#include "test_rows.hpp"
#include "test_support.hpp"

using namespace scopegate::server;
using scopegate::server::testing::PgCluster;
using scopegate::server::testing::TempDir;
using scopegate::server::testing::test_password_hash;
using scopegate::server::testing::user_audit;

namespace {

// A row in every table: organization, admin, credential, resource on it granted to the
// admin, static IP rule on the resource, role holding the admin and the resource, key,
// access token, session with one resource IP entry, the secrets check, audit entries
// (seven).
struct Seeded {
  Organization org{generate_uuid(), "acme", "Acme", format_stored(now())};
  User admin{generate_uuid(),
             org.id,
             "admin@acme.test",
             "Admin",
             "admin",
             hash_password("pw", test_password_hash),
             true,
             format_stored(now()),
             std::nullopt};
  Credential credential;
  Resource resource;
  StaticIpRule rule;
  OrgRole role;
  ApiKey key;
  Session session;

  explicit Seeded(Store& store) {
    REQUIRE(store.create_organization(org));
    credential = Credential{generate_uuid(),
                            org.id,
                            "aws",
                            "AWS",
                            "ACCESS_KEY",
                            "xc20p1:sealed",
                            true,
                            format_stored(now()),
                            std::nullopt,
                            format_stored(now()),
                            format_stored(now())};
    REQUIRE(store.create_credential(credential, audit("CREDENTIAL_CREATE")));
    REQUIRE(store.claim_secrets_check("xc20p1:check"));
    resource.id = generate_uuid();
    resource.credential_id = credential.id;
    resource.organization_id = org.id;
    resource.name = "db";
    resource.provider = "AWS";
    resource.resource_type = "SECURITY_GROUP";
    resource.resource_identifier = "sg-1";
    resource.created_at = resource.updated_at = format_stored(now());
    REQUIRE(store.create_resource(resource, audit("RESOURCE_CREATE")));
    REQUIRE(store.create_user(admin, {resource.id}, nullptr));
    rule = StaticIpRule{
        generate_uuid(),
        org.id,
        "Office",
        "203.0.113.0/24",
        "ACTIVE",
        admin.email,
        format_stored(now()),
        {{resource.id, resource.name, "APPLIED", "local:1", format_stored(now()), std::nullopt}}};
    REQUIRE(store.create_static_ip_rule(rule, audit("STATIC_IP_RULE_CREATED")));
    role.id = generate_uuid();
    role.organization_id = org.id;
    role.name = "Backend";
    role.max_session_hours = 4;
    role.created_at = role.updated_at = format_stored(now());
    REQUIRE(store.create_role(role, audit("ROLE_CREATE")));
    REQUIRE(store.link_role(role.id, RoleLink::user, admin.id, audit("ROLE_ASSIGN")));
    REQUIRE(store.link_role(role.id, RoleLink::resource, resource.id, audit("ROLE_ASSIGN")));
    key.id = generate_uuid();
    key.organization_id = org.id;
    key.created_by = admin.id;
    key.name = "ci";
    key.key_prefix = "egk_live_abcdef";
    key.key_hash = sha256_hex("egk_live_secret");
    key.scopes = {"sessions:read"};
    key.allowed_cidrs = {"10.0.0.0/8"};
    key.created_at = format_stored(now());
    REQUIRE(store.create_key(key, nullptr));
    AccessToken token{sha256_hex("token"),  admin.id,   TokenKind::access, "2999-01-01T00:00:00Z",
                      format_stored(now()), "family-1", std::nullopt};
    REQUIRE(store.record_login(admin.id, format_stored(now()), {token}, audit("USER_LOGIN")));
    OneTimeToken reset{sha256_hex("reset"),    admin.id,     "PASSWORD_RESET",
                       "2999-01-01T00:00:00Z", std::nullopt, format_stored(now())};
    OutboxMail mail{generate_uuid(),      org.id,      admin.email, "Reset", "link",
                    format_stored(now()), std::nullopt};
    REQUIRE(store.create_one_time_token(reset, &mail, nullptr));
    session.id = generate_uuid();
    session.organization_id = org.id;
    session.user_id = admin.id;
    session.ipv4_address = "192.0.2.1";
    session.status = "ACTIVE";
    session.started_at = session.expires_at = session.created_at = format_stored(now());
    SessionResourceIp ip;
    ip.id = generate_uuid();
    ip.session_id = session.id;
    ip.resource_id = resource.id;
    ip.resource_name = resource.name;
    ip.ip_version = "IPV4";
    ip.ip_address = "192.0.2.1";
    ip.status = "APPLIED";
    session.resource_ips.push_back(ip);
    REQUIRE(store.save_session(session, std::nullopt, nullptr));
    REQUIRE(*store.start_mfa_setup(admin.id, "JBSWY3DPEHPK3PXP", audit("MFA_SETUP")));
    REQUIRE(*store.enable_mfa(admin.id, "JBSWY3DPEHPK3PXP", 42,
                              {{generate_uuid(), hash_password("abcd2345", test_password_hash)}},
                              audit("MFA_ENABLE")));
    REQUIRE(store.create_mfa_challenge(
        {sha256_hex("challenge"), admin.id, "2999-01-01T00:00:00Z", format_stored(now())}));
  }

  AuditEntry audit(const std::string& event) const { return user_audit(org.id, event); }

  // What the copy must keep working: the key by its hash, the token, the password, the
  // session with its entry, the grant, the audit log, the MFA secret, codes and challenge.
  void check(Store& store) const {
    const auto actor = store.authenticate_key(key.key_hash);
    REQUIRE(actor);
    REQUIRE(*actor != nullptr);
    CHECK((*actor)->key.scopes == key.scopes);
    CHECK((*actor)->key.allowed_cidrs == key.allowed_cidrs);
    CHECK((*actor)->user.email == admin.email);
    const auto token = store.authenticate_token(sha256_hex("token"));
    REQUIRE(token);
    REQUIRE(token->has_value());
    CHECK(verify_password((*token)->user.password_hash, "pw"));
    const auto reset = store.find_one_time_token(sha256_hex("reset"));
    REQUIRE(reset);
    REQUIRE(reset->has_value());
    CHECK((*reset)->purpose == "PASSWORD_RESET");
    const auto found = store.find_session(session.id);
    REQUIRE(found);
    REQUIRE(*found != nullptr);
    CHECK((*found)->ipv4_address == session.ipv4_address);
    REQUIRE((*found)->resource_ips.size() == 1);
    CHECK((*found)->resource_ips[0].status == "APPLIED");
    CHECK(store.list_user_resources(admin.id)->size() == 1);
    CHECK((*store.find_resource(resource.id))->credential_name == "aws");
    CHECK((*store.find_credential(credential.id))->sealed_data == credential.sealed_data);
    const auto copied_rule = store.find_static_ip_rule(rule.id);
    REQUIRE(copied_rule);
    REQUIRE(*copied_rule);
    CHECK((*copied_rule)->targets.size() == 1);
    CHECK(*store.claim_secrets_check("xc20p1:other") == "xc20p1:check");
    const auto copied_role = store.find_role(role.id);
    REQUIRE(copied_role);
    REQUIRE(copied_role->has_value());
    CHECK((*copied_role)->max_session_hours == 4);
    CHECK((*copied_role)->user_ids == std::vector<std::string>{admin.id});
    CHECK((*copied_role)->resource_ids == std::vector<std::string>{resource.id});
    AuditFilter all{org.id, std::nullopt, std::nullopt, std::nullopt, std::nullopt, 0, 20};
    CHECK(store.query_audit(all)->total == 9);
    const auto mfa = store.find_user_mfa(admin.id);
    REQUIRE(mfa);
    CHECK(mfa->enabled);
    CHECK(mfa->secret == "JBSWY3DPEHPK3PXP");
    CHECK(mfa->last_step == 42);
    REQUIRE(mfa->recovery_codes.size() == 1);
    CHECK(verify_password(mfa->recovery_codes[0].code_hash, "abcd2345"));
    CHECK(store.find_mfa_challenge(sha256_hex("challenge"))->has_value());
  }
};

std::unique_ptr<Store> open_checked(const std::string& location) {
  auto store = open_store(location);
  INFO((store ? "" : store.error().message));
  REQUIRE(store);
  return std::move(*store);
}

}  // namespace

TEST_CASE("migrate copies every table of the schema with every column") {
  TempDir dir;
  const auto path = dir.file("schema.db");
  open_checked(path);
  SQLite::Database db(path);
  std::set<std::string> tables;
  SQLite::Statement list(db,
                         "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN "
                         "('schema_migrations', 'credential_epoch', 'session_epoch') AND name "
                         "NOT LIKE 'sqlite_%'");
  while (list.executeStep()) tables.insert(list.getColumn(0).getString());
  std::set<std::string> copied;
  for (const auto& table : copied_tables()) {
    INFO(table.table);
    copied.insert(table.table);
    std::set<std::string> columns;
    SQLite::Statement info(db, "PRAGMA table_info(" + table.table + ")");
    while (info.executeStep()) columns.insert(info.getColumn(1).getString());
    CHECK(columns == std::set<std::string>(table.columns.begin(), table.columns.end()));
  }
  CHECK(copied == tables);
}

TEST_CASE(
    "migrate copies SQLite to PostgreSQL and back, and keys, tokens and passwords keep working") {
  REQUIRE(init_crypto());
  TempDir dir;
  const auto sqlite_path = dir.file("from.db");
  auto source = open_checked(sqlite_path);
  const Seeded seeded(*source);
  source.reset();

  const auto url = PgCluster::shared().create_database();
  const auto there = copy_database(sqlite_path, url);
  INFO((there ? "" : there.error()));
  REQUIRE(there);
  CHECK(there->size() == copied_tables().size());
  for (const auto& table : *there) {
    INFO(table.table);
    CHECK(table.rows == (table.table == "audit_logs" ? 9 : 1));
  }
  seeded.check(*open_checked(url));

  const auto back_path = dir.file("back.db");
  const auto back = copy_database(url, "sqlite:" + back_path);
  INFO((back ? "" : back.error()));
  REQUIRE(back);
  seeded.check(*open_checked(back_path));

  // A destination with rows is refused, and nothing is written.
  const auto again = copy_database(sqlite_path, url);
  REQUIRE_FALSE(again);
  CHECK(again.error().find("the destination is not empty") != std::string::npos);
  CHECK(again.error().find(PgCluster::shared().password()) == std::string::npos);
  CHECK(PgCluster::shared().query(PgCluster::database_of(url), "SELECT COUNT(*) FROM users") ==
        "1");
}
