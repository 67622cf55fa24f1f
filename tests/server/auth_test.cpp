#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "scopegate/dsl.hpp"
#include "server/app.hpp"
#include "server/auth.hpp"
#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/dispatch.hpp"
#include "server/handler_table.hpp"
#include "server/json.hpp"
#include "server/keys.hpp"
#include "server/net.hpp"
#include "test_support.hpp"

using namespace scopegate::server;
using scopegate::server::testing::test_password_hash;

namespace {

scopegate::Policy shipped_policy() {
  auto policy = scopegate::compile_files({SCOPEGATE_SOURCE_DIR "/policies"});
  REQUIRE(policy);
  return std::move(*policy);
}

HttpRequest with_headers(std::vector<std::pair<std::string, std::string>> headers) {
  HttpRequest request;
  request.method = "GET";
  request.path = "/api/v1/sessions";
  request.headers = std::move(headers);
  return request;
}

}  // namespace

TEST_CASE("API keys are egk_live_ plus 48 lowercase alphanumerics, with a 15-character prefix") {
  REQUIRE(init_crypto());
  const auto key = generate_api_key();
  CHECK(key.rfind("egk_live_", 0) == 0);
  CHECK(key.size() == 9 + 48);
  CHECK(std::all_of(key.begin() + 9, key.end(),
                    [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }));
  CHECK(key_prefix(key) == key.substr(0, 15));
  CHECK(generate_api_key() != key);
}

TEST_CASE("sha256 matches a known vector and uuids are version 7") {
  REQUIRE(init_crypto());
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const auto id = generate_uuid();
  CHECK(id.size() == 36);
  CHECK(id[14] == '7');
}

TEST_CASE("a key's fingerprint is 128 bits, the same for the same key, and differs for another") {
  REQUIRE(init_crypto());
  const auto key = generate_api_key();
  const auto print = fingerprint(key);
  CHECK(print == fingerprint(key));
  CHECK(print != fingerprint(generate_api_key()));
  CHECK(print != fingerprint(key.substr(0, key.size() - 1)));
  CHECK(print != Fingerprint{});
}

TEST_CASE("passwords are Argon2id hashes that verify only the right password") {
  REQUIRE(init_crypto());
  const auto hash = hash_password("correct horse", test_password_hash);
  CHECK(hash.rfind("$argon2id$", 0) == 0);
  CHECK(verify_password(hash, "correct horse"));
  CHECK_FALSE(verify_password(hash, "correct horsE"));
}

TEST_CASE("a password libsodium cannot hash (no memory or a cost under its minimum) throws") {
  REQUIRE(init_crypto());
  // A cost libsodium refuses: under its 8 KiB minimum.
  CHECK_THROWS_WITH(hash_password("correct horse", PasswordHashCost{1, 1}),
                    Catch::Contains("1 passes and 1 KiB"));
  // Memory the process cannot have: a child whose address space is capped 16 MiB above
  // what it maps now asks for 64 MiB.
  std::size_t mapped_pages = 0;
  std::ifstream("/proc/self/statm") >> mapped_pages;
  REQUIRE(mapped_pages > 0);
  const auto page = static_cast<rlim_t>(::sysconf(_SC_PAGESIZE));
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The hard limit stays (an unprivileged process cannot raise it); the soft one is at
    // most that.
    rlimit cap{};
    if (::getrlimit(RLIMIT_AS, &cap) != 0) ::_exit(3);
    cap.rlim_cur = std::min<rlim_t>(mapped_pages * page + (16U << 20), cap.rlim_max);
    if (::setrlimit(RLIMIT_AS, &cap) != 0) ::_exit(3);
    try {
      hash_password("correct horse", PasswordHashCost{1, 64 * 1024});
      ::_exit(1);  // hashed: the cap did not hold
    } catch (const std::runtime_error&) {
      ::_exit(0);
    } catch (...) {
      ::_exit(2);
    }
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("credentials: Bearer wins over an API key, ApiKey and X-API-Key both work") {
  CHECK(credential_kind(with_headers({})) == CredentialKind::none);
  CHECK(credential_kind(with_headers({{"x-api-key", "egk_live_x"}})) == CredentialKind::api_key);
  CHECK(credential_kind(with_headers({{"authorization", "ApiKey egk_live_x"}})) ==
        CredentialKind::api_key);
  CHECK(credential_kind(with_headers({{"authorization", "Bearer t"}, {"x-api-key", "k"}})) ==
        CredentialKind::bearer);
}

TEST_CASE("issuing a key validates name, scopes and expiry as API.md lists") {
  REQUIRE(init_crypto());
  const auto policy = shipped_policy();
  const User admin{"u1", "o1", "a@x", "A", "admin", "", true, "", std::nullopt};
  const User member{"u2", "o1", "m@x", "M", "member", "", true, "", std::nullopt};
  const Organization org{"o1", "default", "Default", ""};
  const auto errors_for = [&](const User& user, KeyRequest request) {
    auto issued = issue_key(policy, user, org, request);
    REQUIRE_FALSE(issued);
    return issued.error();
  };
  KeyRequest ok;
  ok.name = "CI";
  ok.scopes = std::vector<std::string>{"sessions:read", "sessions:read", "sessions:write"};
  const auto issued = issue_key(policy, admin, org, ok);
  REQUIRE(issued);
  CHECK(issued->key.scopes == std::vector<std::string>{"sessions:read", "sessions:write"});
  CHECK(issued->key.key_hash == sha256_hex(issued->plaintext));
  CHECK(issued->key.key_prefix == issued->plaintext.substr(0, 15));

  auto bad = ok;
  bad.name.reset();
  CHECK(errors_for(admin, bad).count("name"));
  bad.name = std::string(256, 'x');
  CHECK(errors_for(admin, bad).count("name"));
  bad = ok;
  bad.scopes = std::vector<std::string>{};
  CHECK(errors_for(admin, bad).at("scopes") == "at least one scope is required");
  bad.scopes = std::vector<std::string>{"sesions:read"};
  CHECK(errors_for(admin, bad).at("scopes") == "unknown scope: sesions:read");
  bad.scopes = std::vector<std::string>{"resources:write"};
  CHECK(errors_for(admin, bad).at("scopes") == "scope resources:write is not available yet");
  bad.scopes = std::vector<std::string>{"api-keys:manage"};
  CHECK(errors_for(admin, bad).at("scopes") ==
        "scope api-keys:manage cannot be granted to an API key");
  bad.scopes = std::vector<std::string>{"audit:read"};
  CHECK(errors_for(member, bad).at("scopes") ==
        "scope audit:read is not held by the key's creator");
  bad = ok;
  bad.expires_at = "yesterday";
  CHECK(errors_for(admin, bad).count("expiresAt"));
  bad.expires_at = "2000-01-01T00:00:00Z";
  CHECK(errors_for(admin, bad).at("expiresAt") == "must be in the future");
}

TEST_CASE("a key's effective scopes are those its creator's role still holds") {
  const auto policy = shipped_policy();
  ApiKey key;
  key.scopes = {"sessions:read", "audit:read"};
  const User member{"u2", "o1", "m@x", "M", "member", "", true, "", std::nullopt};
  const User admin{"u1", "o1", "a@x", "A", "admin", "", true, "", std::nullopt};
  CHECK(effective_key_scopes(policy, key, member) == std::vector<std::string>{"sessions:read"});
  CHECK(effective_key_scopes(policy, key, admin) == key.scopes);
}

TEST_CASE("the client address comes from X-Forwarded-For only through a trusted proxy") {
  const std::vector<Cidr> trusted = {*parse_cidr("10.0.0.0/8")};
  CHECK(client_ip("203.0.113.9", "1.2.3.4", "", trusted) == "203.0.113.9");
  CHECK(client_ip("10.0.0.2", "1.2.3.4", "", trusted) == "1.2.3.4");
  CHECK(client_ip("10.0.0.2", "6.6.6.6, 1.2.3.4, 10.0.0.7", "", trusted) == "1.2.3.4");
  CHECK(client_ip("10.0.0.2", "", "5.6.7.8", trusted) == "5.6.7.8");
  CHECK(client_ip("10.0.0.2", "", "", trusted) == "10.0.0.2");
  CHECK(client_ip("10.0.0.2", "garbage", "", trusted) == "10.0.0.2");
  using namespace std::string_view_literals;
  CHECK(client_ip("10.0.0.2", "1.2.3.4\0x"sv, "", trusted) == "10.0.0.2");
}

TEST_CASE("an address with a NUL inside is no address, whatever precedes the NUL") {
  using namespace std::string_view_literals;
  CHECK_FALSE(parse_ip("1.2.3.4\0x; DROP"sv));
  CHECK_FALSE(parse_ip("::1\0"sv));
  CHECK_FALSE(parse_ip("\0"sv));
  CHECK_FALSE(parse_cidr("10.0.0.0\0/8"sv));
  CHECK(parse_ip("1.2.3.4"));
}

TEST_CASE("ISO-8601 times parse with offsets and print in the wire form") {
  const auto parsed = parse_iso("2026-02-18T12:30:00+02:00");
  REQUIRE(parsed);
  CHECK(wire_time(format_stored(*parsed)) == "2026-02-18T10:30:00Z");
  CHECK(format_stored(*parse_iso("2026-02-18T10:30:00.5Z")) == "2026-02-18T10:30:00.500000Z");
  CHECK_FALSE(parse_iso("2026-02-30T10:30:00Z"));
  CHECK_FALSE(parse_iso("2026-02-18 10:30:00Z"));
  CHECK_FALSE(parse_iso("2026-02-18T10:30:00"));
}

TEST_CASE("the handler table matches the shipped policy exactly, and a mismatch is named") {
  const auto policy = shipped_policy();
  const auto table = make_handler_table();
  CHECK(table.check_against(policy).empty());
  auto extra = scopegate::compile_source("extra.policy", R"(
public {
  GET /healthz
  GET /api/v1/brand-new
}
)");
  REQUIRE(extra);
  const auto problems = table.check_against(*extra);
  const auto mentions = [&](const std::string& text) {
    return std::any_of(problems.begin(), problems.end(),
                       [&](const std::string& p) { return p.find(text) != std::string::npos; });
  };
  CHECK(mentions("extra.policy:4: policy endpoint `GET /api/v1/brand-new` has no handler"));
  CHECK(mentions("server handler `GET /api/v1/sessions` has no endpoint in the policy"));
  CHECK_FALSE(mentions("`GET /healthz`"));
}

TEST_CASE("a request runs the handler of the endpoint its own policy matched, by position") {
  const auto table = make_handler_table();
  auto shipped = std::make_shared<const scopegate::Policy>(shipped_policy());
  const auto dispatch = Dispatch::bind(table, shipped);
  REQUIRE(dispatch);
  for (const auto& endpoint : shipped->endpoints()) {
    CHECK(dispatch->handler_for(&endpoint) == table.find(endpoint.method, endpoint.path_template));
  }
  // The same endpoint of another policy (a reload's) is not this dispatch's to answer.
  const auto other = shipped_policy();
  CHECK(dispatch->handler_for(&other.endpoints().front()) == nullptr);
  CHECK(dispatch->handler_for(nullptr) == nullptr);

  auto extra = scopegate::compile_source("extra.policy", "public {\n  GET /healthz\n}\n");
  REQUIRE(extra);
  const auto refused =
      Dispatch::bind(table, std::make_shared<const scopegate::Policy>(std::move(*extra)));
  REQUIRE_FALSE(refused);
  CHECK_FALSE(refused.error().empty());
}

TEST_CASE(
    "a key's principal carries its creator's identity and its allowed ranges for conditions") {
  const auto policy = shipped_policy();
  Actor actor;
  actor.kind = ActorKind::api_key;
  actor.user.id = "u-1";
  actor.user.email = "ci@acme.test";
  actor.user.role = "admin";
  actor.organization.slug = "acme";
  actor.key = ApiKey{};
  actor.key->scopes = {"sessions:read"};
  actor.key->allowed_cidrs = {"10.0.0.0/8", "192.0.2.1/32"};
  const auto principal = principal_for(policy, actor);
  CHECK(principal.kind() == scopegate::PrincipalKind::api_key);
  CHECK(principal.id() == "u-1");
  CHECK(principal.name() == "ci@acme.test");
  CHECK(principal.org() == "acme");
  REQUIRE(principal.allowed_cidrs().size() == 2);
  CHECK(scopegate::to_string(principal.allowed_cidrs()[1]) == "192.0.2.1/32");

  const auto decide_from = [&](const char* ip) {
    scopegate::Request request;
    request.method = "GET";
    request.target = "/api/v1/sessions";
    request.ip = scopegate::parse_ip(ip);
    return policy.decide(principal, request);
  };
  CHECK(decide_from("10.9.8.7").allowed());
  CHECK(decide_from("192.0.2.1").allowed());
  const auto refused = decide_from("127.0.0.1");
  CHECK(refused.reason() == scopegate::Reason::forbidden);
  CHECK(refused.message() == "API key is not allowed from this address");

  actor.kind = ActorKind::user;
  const auto user = principal_for(policy, actor);
  CHECK(user.allowed_cidrs().empty());
  CHECK(user.role() == "admin");
}

TEST_CASE("allowedCidrs are validated and stored in canonical form") {
  REQUIRE(init_crypto());
  const auto policy = shipped_policy();
  User creator;
  creator.id = "u-1";
  creator.role = "admin";
  Organization organization;
  KeyRequest request;
  request.name = "k";
  request.scopes = std::vector<std::string>{"sessions:read"};
  request.allowed_cidrs = std::vector<std::string>{"192.0.2.1", "2001:DB8::/32", "192.0.2.1/32"};
  const auto issued = issue_key(policy, creator, organization, request);
  REQUIRE(issued);
  CHECK(issued->key.allowed_cidrs == std::vector<std::string>{"192.0.2.1/32", "2001:db8::/32"});
  request.allowed_cidrs = std::vector<std::string>{"10.0.0.1/8", "fe80::1%eth0"};
  const auto refused = issue_key(policy, creator, organization, request);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().at("allowedCidrs").find("10.0.0.1/8") != std::string::npos);
  CHECK(refused.error().at("allowedCidrs").find("fe80::1%eth0") != std::string::npos);
}

TEST_CASE("JSON strings written directly are exactly what nlohmann-json writes") {
  const std::vector<std::string> texts = {
      "",
      "plain text",
      "0195f2a0-7c4e-7abc-9def-0123456789ab",
      "2026-02-18T10:30:00Z",
      "quote \" inside",
      "back\\slash",
      "tab\tnew\nline\rcr\bbs\fff",
      std::string("nul\0byte", 8),
      "\x01\x1f control",
      "del \x7f",
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91",
      "</script>",
  };
  for (const auto& text : texts) {
    INFO(text);
    std::string out;
    append_json_string(out, text);
    CHECK(out == Json(text).dump());
  }
  // Stored text need not be UTF-8 (a denied path is kept as received): bad bytes are
  // written as U+FFFD, as nlohmann-json writes them with error_handler_t::replace.
  std::string invalid;
  append_json_string(invalid, "bad \xff utf-8");
  CHECK(invalid == "\"bad \xef\xbf\xbd utf-8\"");
  CHECK(invalid == Json("bad \xff utf-8").dump(-1, ' ', false, Json::error_handler_t::replace));
  CHECK(
      insufficient_permissions("API key does not have required scope: sessions:read").body ==
      R"({"error":"Insufficient permissions","message":"API key does not have required scope: sessions:read"})");
  CHECK(insufficient_permissions("Condition not met: \"x\"").body ==
        Json({{"error", "Insufficient permissions"}, {"message", "Condition not met: \"x\""}})
            .dump());
}

namespace {

// The session object built with nlohmann::ordered_json, field by field as API.md lists
// them: the oracle for append_session_body, which writes the same bytes directly.
Json session_json(const Session& s, const User& user, const Organization& organization) {
  Json out;
  out["id"] = s.id;
  out["userId"] = s.user_id;
  out["userName"] = user.name;
  out["userEmail"] = user.email;
  out["ipv4Address"] = nullable(s.ipv4_address);
  out["ipv6Address"] = nullable(s.ipv6_address);
  out["status"] = s.status;
  out["startedAt"] = wire_time(s.started_at);
  out["expiresAt"] = wire_time(s.expires_at);
  out["endedAt"] = nullable_time(s.ended_at);
  out["endedReason"] = nullable(s.ended_reason);
  Json ips = Json::array();
  for (const auto& ip : s.resource_ips) {
    Json entry;
    entry["id"] = ip.id;
    entry["resourceId"] = ip.resource_id;
    entry["resourceName"] = ip.resource_name;
    entry["ipVersion"] = ip.ip_version;
    entry["ipAddress"] = ip.ip_address;
    entry["status"] = ip.status;
    entry["providerRuleId"] = nullable(ip.provider_rule_id);
    entry["appliedAt"] = nullable_time(ip.applied_at);
    entry["removedAt"] = nullable_time(ip.removed_at);
    entry["errorMessage"] = nullable(ip.error_message);
    ips.push_back(std::move(entry));
  }
  out["resourceIps"] = std::move(ips);
  out["createdAt"] = wire_time(s.created_at);
  out["organizationName"] = organization.name;
  return out;
}

}  // namespace

TEST_CASE(
    "a session body written directly equals session_json's, with and without entries and nulls") {
  const Organization org{"o1", "acme", "Acme \"Inc\"", "2026-01-01T00:00:00.000000Z"};
  User user;
  user.id = "u1";
  user.email = "a@acme.test";
  user.name = "Zo\xc3\xab \\ Admin";
  Session bare;
  bare.id = "s1";
  bare.organization_id = org.id;
  bare.user_id = user.id;
  bare.status = "PENDING";
  bare.started_at = "2026-02-18T10:30:00.123456Z";
  bare.expires_at = "2026-02-18T18:30:00.123456Z";
  bare.created_at = bare.started_at;
  Session full = bare;
  full.ipv4_address = "203.0.113.7";
  full.ipv6_address = "2001:db8::7";
  full.status = "CANCELLED";
  full.ended_at = "2026-02-18T11:00:00.5Z";
  full.ended_reason = "MANUAL";
  for (int i = 0; i < 3; ++i) {
    SessionResourceIp ip;
    ip.id = "e" + std::to_string(i);
    ip.session_id = full.id;
    ip.resource_id = "r" + std::to_string(i);
    ip.resource_name = i == 1 ? "db \"primary\"\n" : "web";
    ip.ip_version = i == 2 ? "IPV6" : "IPV4";
    ip.ip_address = i == 2 ? "2001:db8::7" : "203.0.113.7";
    ip.status = i == 0 ? "REMOVED" : "APPLIED";
    if (i == 0) {
      ip.provider_rule_id = "rule-1";
      ip.applied_at = "2026-02-18T10:30:01.000001Z";
      ip.removed_at = "2026-02-18T11:00:00.000001Z";
      ip.error_message = "tab\there";
    }
    full.resource_ips.push_back(ip);
  }
  for (const auto* session : {&bare, &full}) {
    std::string out;
    append_session_body(out, *session, user, org);
    CHECK(out == session_json(*session, user, org).dump());
  }
}
