// The validation of user-supplied strings: check_text() itself, then one table per field
// of each endpoint, through the pure parse_* functions of server/handlers/bodies.hpp, and
// a few rows over real HTTP for the defects that led here (a NUL in an address, key
// names counted in bytes).
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <optional>
#include <string>
#include <vector>

#include "harness.hpp"
#include "server/handlers/bodies.hpp"
#include "server/text.hpp"
#include "validation_rows.hpp"

using namespace scopegate::server;
using namespace scopegate::server::testing;

namespace {

const nlohmann::json login_body = {
    {"organizationSlug", "default"}, {"email", "admin@localhost"}, {"password", "secret"}};
const nlohmann::json key_body = {{"name", "CI"}, {"scopes", {"sessions:read"}}};
const nlohmann::json resource_body = {{"name", "db"},
                                      {"credentialId", "c-1"},
                                      {"provider", "GCP"},
                                      {"resourceType", "security_group"},
                                      {"resourceIdentifier", "sg-1"}};
const nlohmann::json user_body = {
    {"email", "member@localhost"}, {"role", "member"}, {"password", "member-password"}};
const std::vector<std::string> roles = {"admin", "member"};
const SessionLimits limits{1, 8};

const std::string iso_message = "must be an ISO-8601 timestamp such as 2026-02-18T10:30:00Z";

// A timestamp field: format rows on top of the encoding and control-character ones.
std::vector<Row> timestamp_rows() {
  return std::vector<Row>{
      {"valid", "2030-01-01T00:00:00Z", ""},
      {"with an offset and fractions", "2030-01-01T00:00:00.5+02:00", ""},
      {"NUL then garbage", std::string("2030-01-01T00:00:00Z\0x", 22), "U+0000"},
      {"trailing garbage", "2030-01-01T00:00:00Zx", iso_message},
      {"trailing line feed", "2030-01-01T00:00:00Z\n", "U+000A"},
      {"a word", "soon", iso_message},
      {"fullwidth digits", "２０３０-01-01T00:00:00Z", iso_message},
      {"invalid UTF-8", "2030-01-01T00:00:00Z\xC0\xAF", "must be valid UTF-8"},
      {"one character over 64", "2030-01-01T00:00:00." + repeat("0", 44) + "Z", at_most(64)},
  };
}

}  // namespace

TEST_CASE("check_text: UTF-8, control characters and lengths in characters") {
  check_rows(text_rows(5, Controls::none, "abc"),
             [](const std::string& text) { return check_text(text, TextRule{5}); });
}

TEST_CASE("check_text: free text accepts tab and line breaks but no other control character") {
  check_rows(text_rows(5, Controls::tab_and_line_breaks, "a\tb\nc"), [](const std::string& text) {
    return check_text(text, TextRule{5, 0, Controls::tab_and_line_breaks});
  });
}

TEST_CASE("log_field: a field of a log line cannot forge another field or a line") {
  CHECK(log_field("/api/v1/sessions/42") == "/api/v1/sessions/42");
  CHECK(log_field("/caf\xC3\xA9/\xE2\x82\xAC") == "/caf\xC3\xA9/\xE2\x82\xAC");  // UTF-8 as is
  CHECK(log_field("/w/1\tX reason=allowed") == "/w/1\\x09X\\x20reason=allowed");
  CHECK(log_field("/a\nGET /b") == "/a\\x0AGET\\x20/b");
  CHECK(log_field("/a\\b") == "/a\\x5Cb");           // a backslash, so that `\x` is never ambiguous
  CHECK(log_field("/\xA8/\xC3") == "/\\xA8/\\xC3");  // not UTF-8: byte by byte
  CHECK(log_field("/\xC2\x85") == "/\\xC2\\x85");    // U+0085, a C1 control
}

TEST_CASE("check_text: a minimum length is counted in characters too") {
  const TextRule rule{10, 3};
  CHECK(check_text("ab", rule) == "must be at least 3 characters");
  CHECK(check_text("", rule) == "must be at least 3 characters");
  CHECK_FALSE(check_text("éé€", rule));
  CHECK(check_text("é€", rule) == "must be at least 3 characters");
}

TEST_CASE(
    "check_text: every code point from U+0000 to U+00A0 is classified as C0, DEL, C1 or not") {
  for (char32_t c = 0; c <= 0xA0; ++c) {
    std::string text;
    if (c < 0x80) {
      text.push_back(static_cast<char>(c));
    } else {
      text.push_back(static_cast<char>(0xC0 | (c >> 6)));
      text.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
    const bool control = c < 0x20 || (c >= 0x7F && c <= 0x9F);
    INFO("U+" << std::hex << static_cast<unsigned>(c));
    CHECK(check_text(text, TextRule{1}).has_value() == control);
  }
}

// ---- login -------------------------------------------------------------------------

TEST_CASE("login body: email") {
  check_rows(text_rows(255, Controls::none, "admin@localhost") +
                 std::vector<Row>{{"empty", "", "is required"}},
             [](const std::string& text) {
               const auto parsed = parse_login_body(with_field(login_body, "email", text));
               if (parsed) CHECK(parsed->email == text);
               return refusal(parsed, "email");
             });
}

TEST_CASE("login body: password may be any Unicode text without control characters") {
  check_rows(text_rows(1024, Controls::none, "correct horse battery staple") +
                 std::vector<Row>{{"empty", "", "is required"},
                                  {"letters and symbols of any script", "pässwörd 密码 😀 ∑", ""}},
             [](const std::string& text) {
               const auto parsed = parse_login_body(with_field(login_body, "password", text));
               if (parsed) CHECK(parsed->password == text);
               return refusal(parsed, "password");
             });
}

TEST_CASE("login body: organizationSlug, empty meaning the bootstrap organization") {
  check_rows(text_rows(255, Controls::none, "default") + std::vector<Row>{{"empty", "", ""}},
             [](const std::string& text) {
               const auto parsed =
                   parse_login_body(with_field(login_body, "organizationSlug", text));
               if (parsed) {
                 CHECK(parsed->organization_slug ==
                       (text.empty() ? std::nullopt : std::optional<std::string>(text)));
               }
               return refusal(parsed, "organizationSlug");
             });
}

TEST_CASE("login body: missing fields and wrong types are refused together") {
  const auto parsed = parse_login_body(nlohmann::json{{"email", 7}});
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error() ==
        ValidationErrors{{"email", "must be a string"}, {"password", "is required"}});
  CHECK(parse_login_body(nlohmann::json::array()).error().count("body") == 1);
}

// ---- API keys ----------------------------------------------------------------------

TEST_CASE("API key body: name, up to 255 characters counted without surrounding spaces") {
  check_rows(
      text_rows(255, Controls::none, "CI/CD Full Access") +
          std::vector<Row>{{"empty", "", "is required"},
                           {"only spaces", "   ", "is required"},
                           {"255 characters and spaces around", "  " + repeat("é", 255) + " ", ""}},
      [](const std::string& text) {
        const auto parsed = parse_api_key_body(with_field(key_body, "name", text));
        if (parsed) CHECK(parsed->name == text);
        return refusal(parsed, "name");
      });
}

TEST_CASE("API key body: description is free text of up to 1000 characters") {
  check_rows(text_rows(1000, Controls::tab_and_line_breaks, "Deploys from CI.\nOwner: ops") +
                 std::vector<Row>{{"empty", "", ""}},
             [](const std::string& text) {
               const auto parsed = parse_api_key_body(with_field(key_body, "description", text));
               if (parsed) CHECK(parsed->description == text);
               return refusal(parsed, "description");
             });
}

TEST_CASE("API key body: expiresAt, whose being in the future is issue_key's to check") {
  check_rows(
      timestamp_rows() +
          std::vector<Row>{{"in the past", "2001-01-01T00:00:00Z", ""}, {"empty", "", iso_message}},
      [](const std::string& text) {
        return refusal(parse_api_key_body(with_field(key_body, "expiresAt", text)), "expiresAt");
      });
}

TEST_CASE("API key body: each scope, whose meaning is the policy's to check") {
  const auto one_scope = [](const std::string& text) {
    auto body = key_body;
    body["scopes"] = nlohmann::json::array({"sessions:read", text});
    const auto parsed = parse_api_key_body(body);
    if (parsed) CHECK(parsed->scopes == std::vector<std::string>{"sessions:read", text});
    return refusal(parsed, "scopes");
  };
  check_rows(
      std::vector<Row>{
          {"valid", "resources:read", ""},
          {"unknown to the policy", "nope:read", ""},
          {"NUL then garbage", std::string("sessions:write\0x", 16),
           "entry 2: must not contain control characters (U+0000 at character 15)"},
          {"C1", "sessions:write\u0085", "entry 2: must not contain control characters"},
          {"DEL", "\x7Fsessions:write", "U+007F"},
          {"invalid UTF-8", "sessions:\xFF", "entry 2: must be valid UTF-8"},
          {"a surrogate", "sessions:\xED\xA0\x80", "entry 2: must be valid UTF-8"},
          {"exactly 1024 characters", repeat("é", 1024), ""},
          {"1025 characters", repeat("é", 1025), "entry 2: must be " + at_most(1024)},
          {"an OAuth 2.0 URL scope", "https://www.googleapis.com/auth/drive.readonly", ""},
      },
      one_scope);
  const auto scopes = [](const nlohmann::json& value) {
    auto body = key_body;
    body["scopes"] = value;
    return refusal(parse_api_key_body(body), "scopes");
  };
  CHECK(scopes(nlohmann::json::array()) == "at least one scope is required");
  CHECK(scopes("sessions:read") == "must be an array of scope names");
  CHECK(scopes(nlohmann::json::array({"sessions:read", 1})) == "must be an array of scope names");
}

TEST_CASE("API key body: each allowedCidrs entry, whose format is issue_key's to check") {
  check_rows(
      std::vector<Row>{
          {"valid", "10.0.0.0/8", ""},
          {"NUL then garbage", std::string("10.0.0.0/8\0x", 12), "entry 1: must not contain"},
          {"line feed", "10.0.0.0/8\n", "U+000A"},
          {"invalid UTF-8", "10.0.0.0/\xC0\xB8", "must be valid UTF-8"},
          {"65 characters", repeat("1", 65), "entry 1: must be " + at_most(64)},
      },
      [](const std::string& text) {
        auto body = key_body;
        body["allowedCidrs"] = nlohmann::json::array({text});
        return refusal(parse_api_key_body(body), "allowedCidrs");
      });
}

// ---- sessions ----------------------------------------------------------------------

TEST_CASE("session body: ipv4Address must be an IPv4 address, all of it") {
  const std::string wrong = "must be an IPv4 address";
  check_rows(
      std::vector<Row>{
          {"valid", "1.2.3.4", ""},
          {"IPv4-mapped IPv6, as before", "::ffff:1.2.3.4", ""},
          {"the reported NUL", std::string("1.2.3.4\0x; DROP", 15),
           "must not contain control characters (U+0000 at character 8)"},
          {"NUL last", std::string("1.2.3.4\0", 8), "U+0000"},
          {"trailing garbage", "1.2.3.4x", wrong},
          {"trailing space", "1.2.3.4 ", wrong},
          {"leading space", " 1.2.3.4", wrong},
          {"trailing line feed", "1.2.3.4\n", "U+000A"},
          {"C1 next line", "1.2.3.4\u0085", "U+0085"},
          {"DEL", "1.2.3.4\x7F", "U+007F"},
          {"invalid UTF-8", "1.2.3.4\xFF", "must be valid UTF-8"},
          {"overlong `.`",
           "1.2.3\xC0\xAE"
           "4",
           "must be valid UTF-8"},
          {"fullwidth digits", "１.２.３.４", wrong},
          {"three parts", "1.2.3", wrong},
          {"a part over 255", "1.2.3.256", wrong},
          {"an IPv6 address", "::1", wrong},
          {"empty", "", wrong},
          {"46 characters", repeat("1", 46), at_most(45)},
      },
      [](const std::string& text) {
        const auto parsed = parse_session_start_body(nlohmann::json{{"ipv4Address", text}}, limits);
        if (parsed) CHECK(parsed->ipv4_address == text);
        return refusal(parsed, "ipv4Address");
      });
}

TEST_CASE("session body: ipv6Address must be an IPv6 address, all of it") {
  const std::string wrong = "must be an IPv6 address";
  check_rows(
      std::vector<Row>{
          {"valid", "2001:db8::1", ""},
          {"with an embedded IPv4 tail", "64:ff9b::1.2.3.4", ""},
          {"the reported NUL", std::string("2001:db8::1\0x; DROP", 19), "U+0000"},
          {"NUL last", std::string("::1\0", 4), "U+0000"},
          {"trailing garbage", "2001:db8::1x", wrong},
          {"a zone id", "fe80::1%eth0", wrong},
          {"trailing tab", "2001:db8::1\t", "U+0009"},
          {"C1", "\u009B2001:db8::1", "U+009B"},
          {"invalid UTF-8", "2001:db8::\xED\xA0\x80", "must be valid UTF-8"},
          {"an IPv4 address", "1.2.3.4", wrong},
          {"IPv4-mapped, which is IPv4", "::ffff:1.2.3.4", wrong},
          {"two gaps", "1::2::3", wrong},
          {"empty", "", wrong},
      },
      [](const std::string& text) {
        const auto parsed = parse_session_start_body(nlohmann::json{{"ipv6Address", text}}, limits);
        if (parsed) CHECK(parsed->ipv6_address == text);
        return refusal(parsed, "ipv6Address");
      });
}

TEST_CASE("session body: durationHours and additionalHours") {
  const auto duration = [](const nlohmann::json& value) {
    return refusal(parse_session_start_body(nlohmann::json{{"durationHours", value}}, limits),
                   "durationHours");
  };
  CHECK(duration(1) == std::nullopt);
  CHECK(duration(8) == std::nullopt);
  CHECK(duration(9) == "must be between 1 and 8");
  CHECK(duration(0) == "must be between 1 and 8");
  CHECK(duration("2") == "must be an integer");
  CHECK(duration(1.5) == "must be an integer");
  CHECK(parse_session_start_body(nlohmann::json::object(), limits)->duration_hours == 1);
  const auto extension = [](const nlohmann::json& body) {
    return refusal(parse_session_extend_body(body), "additionalHours");
  };
  CHECK(extension(nlohmann::json{{"additionalHours", 1}}) == std::nullopt);
  CHECK(extension(nlohmann::json{{"additionalHours", 0}}) == "must be an integer of at least 1");
  CHECK(extension(nlohmann::json::object()) == "must be an integer of at least 1");
  CHECK(extension(nlohmann::json{{"additionalHours", "1"}}) == "must be an integer");
}

// ---- resources ---------------------------------------------------------------------

TEST_CASE("resource body: name, credentialId, resourceType and resourceIdentifier are required") {
  for (const std::string field : {"name", "credentialId", "resourceType", "resourceIdentifier"}) {
    INFO("field: " << field);
    check_rows(
        text_rows(255, Controls::none, "sg-0123") + std::vector<Row>{{"empty", "", "is required"}},
        [&](const std::string& text) {
          return refusal(parse_resource_body(with_field(resource_body, field, text)), field);
        });
  }
}

TEST_CASE("resource body: provider is one of the four, and AWS needs a region") {
  const auto provider = [](const std::string& text) {
    const auto body =
        with_field(with_field(resource_body, "region", "eu-west-1"), "provider", text);
    return refusal(parse_resource_body(body), "provider");
  };
  for (const std::string known : {"AWS", "GCP", "AZURE", "APISIX"}) {
    CHECK(provider(known) == std::nullopt);
  }
  CHECK(provider("aws") == "must be one of AWS, GCP, AZURE, APISIX");
  CHECK(provider("") == "is required");
  const auto aws = with_field(resource_body, "provider", "AWS");
  CHECK(refusal(parse_resource_body(aws), "region") == "is required for AWS resources");
  CHECK(parse_resource_body(with_field(aws, "region", "eu-west-1")));
}

TEST_CASE("resource body: region is optional") {
  check_rows(text_rows(255, Controls::none, "eu-west-1") + std::vector<Row>{{"empty", "", ""}},
             [&](const std::string& text) {
               return refusal(parse_resource_body(with_field(resource_body, "region", text)),
                              "region");
             });
}

TEST_CASE("resource body: config is an object kept as JSON") {
  auto body = resource_body;
  body["config"] = nlohmann::json{{"note", std::string("a\0b", 3)}};
  const auto parsed = parse_resource_body(body);
  REQUIRE(parsed);
  CHECK(parsed->config_json == R"({"note":"a\u0000b"})");
  body["config"] = nlohmann::json{{"note", "\xFF"}};
  CHECK(refusal(parse_resource_body(body), "config") == "must be valid UTF-8");
  body["config"] = "x";
  CHECK(refusal(parse_resource_body(body), "config") == "must be a JSON object");
}

TEST_CASE("resource patch: only what is given changes, null clears region and config") {
  const auto empty = parse_resource_patch_body(nlohmann::json::object());
  REQUIRE(empty);
  CHECK_FALSE(empty->name);
  CHECK_FALSE(empty->region);
  CHECK_FALSE(empty->config_json);
  CHECK_FALSE(empty->active);
  const auto cleared =
      parse_resource_patch_body(nlohmann::json{{"region", nullptr}, {"config", nullptr}});
  REQUIRE(cleared);
  REQUIRE(cleared->region);
  CHECK_FALSE(*cleared->region);
  REQUIRE(cleared->config_json);
  CHECK_FALSE(*cleared->config_json);
  const auto set = parse_resource_patch_body(
      nlohmann::json{{"name", "db2"}, {"isActive", true}, {"config", nlohmann::json{{"a", 1}}}});
  REQUIRE(set);
  CHECK(set->name == "db2");
  CHECK(set->active == true);
  CHECK(set->config_json == std::optional<std::string>(R"({"a":1})"));
  CHECK(refusal(parse_resource_patch_body(nlohmann::json{{"name", ""}}), "name") ==
        "must not be empty");
  CHECK(refusal(parse_resource_patch_body(nlohmann::json{{"isActive", "yes"}}), "isActive") ==
        "must be true or false");
}

// ---- credentials -------------------------------------------------------------------

const nlohmann::json aws_credential = {
    {"name", "AWS Prod"},
    {"provider", "AWS"},
    {"credentialType", "ACCESS_KEY"},
    {"credentialData",
     {{"accessKeyId", "AKIAIOSFODNN7EXAMPLE"},
      {"secretAccessKey", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}}}};

TEST_CASE("credential body: the type must be the provider's, the data must have its keys") {
  const auto parsed = parse_credential_body(aws_credential);
  REQUIRE(parsed);
  CHECK(parsed->provider == "AWS");
  CHECK(nlohmann::json::parse(parsed->data_json) == aws_credential.at("credentialData"));
  CHECK(refusal(
            parse_credential_body(with_field(aws_credential, "credentialType", "SERVICE_ACCOUNT")),
            "credentialType") == "must be ACCESS_KEY for AWS");
  CHECK(refusal(parse_credential_body(with_field(aws_credential, "provider", "IBM")), "provider") ==
        "must be one of AWS, GCP, AZURE, APISIX");
  auto missing = aws_credential;
  missing["credentialData"].erase("secretAccessKey");
  CHECK(refusal(parse_credential_body(missing), "credentialData") ==
        "`secretAccessKey` is required, a non-empty string (AWS ACCESS_KEY needs accessKeyId, "
        "secretAccessKey)");
  auto not_object = aws_credential;
  not_object["credentialData"] = 5;
  CHECK(refusal(parse_credential_body(not_object), "credentialData") ==
        "must be a JSON object (or the text of one)");
  auto as_text = aws_credential;
  as_text["credentialData"] = aws_credential.at("credentialData").dump();
  CHECK(parse_credential_body(as_text));
  CHECK(refusal(parse_credential_body(nlohmann::json::object()), "name") == "is required");
}

TEST_CASE("credential body: no problem message repeats a value that was sent") {
  auto body = aws_credential;
  body["credentialType"] = "SECRET-TYPE-VALUE";
  body["credentialData"]["accessKeyId"] = 42;
  body["credentialData"]["secretAccessKey"] = std::string(20000, 'S');
  const auto parsed = parse_credential_body(body);
  REQUIRE_FALSE(parsed);
  for (const auto& [field, problem] : parsed.error()) {
    INFO(field << ": " << problem);
    CHECK(problem.find("SECRET-TYPE-VALUE") == std::string::npos);
    CHECK(problem.find("SSSS") == std::string::npos);
  }
}

// ---- static IP rules ---------------------------------------------------------------

TEST_CASE("static IP rule body: a canonical address or range, and at least one resource") {
  const nlohmann::json rule = {
      {"label", "Office"}, {"ipAddress", "203.0.113.0/24"}, {"resourceIds", {"r1", "r1", "r2"}}};
  const auto parsed = parse_static_ip_rule_body(rule);
  REQUIRE(parsed);
  CHECK(parsed->ip_address == "203.0.113.0/24");
  CHECK(parsed->resource_ids == std::vector<std::string>{"r1", "r2"});
  CHECK(parse_static_ip_rule_body(with_field(rule, "ipAddress", "192.0.2.1"))->ip_address ==
        "192.0.2.1/32");
  CHECK(parse_static_ip_rule_body(with_field(rule, "ipAddress", "2001:DB8::/32"))->ip_address ==
        "2001:db8::/32");
  for (const std::string bad : {"10.0.0.1/8", "300.1.1.1", "office", ""}) {
    INFO(bad);
    CHECK(refusal(parse_static_ip_rule_body(with_field(rule, "ipAddress", bad)), "ipAddress"));
  }
  auto none = rule;
  none["resourceIds"] = nlohmann::json::array();
  CHECK(refusal(parse_static_ip_rule_body(none), "resourceIds") ==
        "must name at least one resource");
  none.erase("resourceIds");
  CHECK(refusal(parse_static_ip_rule_body(none), "resourceIds") ==
        "must name at least one resource");
  CHECK(refusal(parse_static_ip_rule_body(with_field(rule, "label", "")), "label") ==
        "is required");
}

// ---- users -------------------------------------------------------------------------

TEST_CASE("user body: email, an address of up to 255 characters") {
  check_rows(text_rows(255, Controls::none, "member@localhost", "@x") +
                 std::vector<Row>{{"no @", "member", "Invalid email format"},
                                  {"two @", "a@b@c", "Invalid email format"},
                                  {"nothing before the @", "@localhost", "Invalid email format"},
                                  {"nothing after the @", "member@", "Invalid email format"},
                                  {"a space", "mem ber@localhost", "Invalid email format"},
                                  {"empty", "", "email is required"}},
             [](const std::string& text) {
               const auto parsed = parse_user_body(with_field(user_body, "email", text), roles);
               if (parsed) CHECK(parsed->email == text);
               return refusal(parsed, "email");
             });
}

TEST_CASE("user body: name") {
  check_rows(text_rows(255, Controls::none, "Mem Ber"), [](const std::string& text) {
    const auto parsed = parse_user_body(with_field(user_body, "name", text), roles);
    if (parsed) CHECK(parsed->name == text);
    return refusal(parsed, "name");
  });
}

TEST_CASE("user body: password, from 8 to 1024 characters without control characters") {
  check_rows(text_rows(1024, Controls::none, "member-password", "password") +
                 std::vector<Row>{{"7 characters", "passwor", "must be at least 8 characters"},
                                  {"8 characters of 2 bytes", repeat("é", 8), ""},
                                  {"7 characters of 2 bytes, 14 bytes", repeat("é", 7),
                                   "must be at least 8 characters"},
                                  {"empty", "", "must be at least 8 characters"}},
             [](const std::string& text) {
               const auto parsed = parse_user_body(with_field(user_body, "password", text), roles);
               if (parsed) CHECK(parsed->password == text);
               return refusal(parsed, "password");
             });
}

TEST_CASE("user body: role and resourceIds") {
  check_rows(std::vector<Row>{{"valid", "admin", ""},
                              {"unknown", "boss", "must be one of: admin, member"},
                              {"NUL", std::string("member\0", 7), "U+0000"},
                              {"invalid UTF-8", "memb\xC5r", "must be valid UTF-8"}},
             [](const std::string& text) {
               return refusal(parse_user_body(with_field(user_body, "role", text), roles), "role");
             });
  check_rows(std::vector<Row>{{"valid", "5f0c7a52-0000-4000-8000-000000000000", ""},
                              {"NUL", std::string("5f0c\0x", 6), "entry 1: must not contain"},
                              {"invalid UTF-8", "\xFE", "entry 1: must be valid UTF-8"},
                              {"101 characters", repeat("a", 101), at_most(100)}},
             [](const std::string& text) {
               auto body = user_body;
               body["resourceIds"] = nlohmann::json::array({text});
               const auto parsed = parse_user_body(body, roles);
               if (parsed) CHECK(parsed->resource_ids == std::vector<std::string>{text});
               return refusal(parsed, "resourceIds");
             });
  auto body = user_body;
  body["resourceIds"] = nlohmann::json::array({1});
  CHECK(refusal(parse_user_body(body, roles), "resourceIds") == "must be an array of resource ids");
}

TEST_CASE("user body: every field's problem comes back at once") {
  const auto parsed = parse_user_body(
      nlohmann::json{{"email", "x"}, {"role", "boss"}, {"password", "short"}}, roles);
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().size() == 3);
}

// ---- audit-log query ---------------------------------------------------------------

TEST_CASE("audit query: eventType and actorEmail, an empty one meaning no filter") {
  for (const auto& [name, member, limit] :
       {std::tuple{"eventType", &AuditQuery::event_type, std::size_t{64}},
        std::tuple{"actorEmail", &AuditQuery::actor_email, std::size_t{255}}}) {
    INFO("parameter: " << name);
    check_rows(
        text_rows(limit, Controls::none, "SESSION_START") + std::vector<Row>{{"empty", "", ""}},
        [&](const std::string& text) {
          AuditQuery query;
          query.*member = text;
          const auto parsed = parse_audit_query(query, 100);
          if (parsed) {
            const auto& filter = *parsed;
            CHECK((std::string(name) == "eventType" ? filter.event_type : filter.actor_email) ==
                  (text.empty() ? std::nullopt : std::optional<std::string>(text)));
          }
          return refusal(parsed, name);
        });
  }
}

TEST_CASE("audit query: from and to") {
  for (const auto& [name, member] :
       {std::pair{"from", &AuditQuery::from}, std::pair{"to", &AuditQuery::to}}) {
    INFO("parameter: " << name);
    check_rows(timestamp_rows() + std::vector<Row>{{"empty", "", ""}},
               [&](const std::string& text) {
                 AuditQuery query;
                 query.*member = text;
                 return refusal(parse_audit_query(query, 100), name);
               });
  }
}

TEST_CASE("audit query: page and size") {
  check_rows(std::vector<Row>{{"valid", "3", ""},
                              {"empty", "", ""},
                              {"negative", "-1", "must be an integer of at least 0"},
                              {"trailing garbage", "1x", "must be an integer of at least 0"},
                              {"NUL then garbage", std::string("1\0x", 3), "U+0000"},
                              {"invalid UTF-8", "1\xFF", "must be valid UTF-8"},
                              {"fullwidth digit", "１", "must be an integer of at least 0"}},
             [](const std::string& text) {
               AuditQuery query;
               query.page = text;
               return refusal(parse_audit_query(query, 100), "page");
             });
  check_rows(std::vector<Row>{{"valid", "20", ""},
                              {"zero", "0", "must be an integer from 1 to 100"},
                              {"a word", "abc", "must be an integer from 1 to 100"},
                              {"C1", "2\u00850", "U+0085"}},
             [](const std::string& text) {
               AuditQuery query;
               query.size = text;
               return refusal(parse_audit_query(query, 100), "size");
             });
  AuditQuery query;
  query.page = "2";
  query.size = "1000";
  const auto filter = parse_audit_query(query, 100);
  REQUIRE(filter);
  CHECK(filter->page == 2);
  CHECK(filter->size == 100);
}

// ---- over HTTP ---------------------------------------------------------------------

TEST_CASE("e2e: a NUL in ipv4Address or ipv6Address is a 400 and no session is stored") {
  Harness h;
  const auto token = h.bearer();
  for (const auto& [field, text] :
       {std::pair<std::string, std::string>{"ipv4Address", std::string("1.2.3.4\0x; DROP", 15)},
        std::pair<std::string, std::string>{"ipv6Address",
                                            std::string("2001:db8::1\0x; DROP", 19)}}) {
    INFO("field: " << field);
    // The body as a client writes it: the NUL escaped as \u0000.
    const auto body = nlohmann::json{{field, text}}.dump();
    REQUIRE(body.find("\\u0000") != std::string::npos);
    const auto reply = h.client().send(
        "POST", "/api/v1/sessions",
        {{"Authorization", token.at("Authorization")}, {"Content-Type", "application/json"}}, body);
    CHECK(reply.status == 400);
    CHECK(reply.json().at("validationErrors").at(field) ==
          "must not contain control characters (U+0000 at character " +
              std::to_string(text.find('\0') + 1) + ")");
  }
  CHECK(h.client().get("/api/v1/sessions", token).json() == nlohmann::json::array());
  const auto audit = h.client().get("/api/v1/audit-logs?eventType=SESSION_START", token).json();
  CHECK(audit.at("totalElements") == 0);
  // The same request without the NUL is stored.
  CHECK(h.client().post("/api/v1/sessions", {{"ipv4Address", "1.2.3.4"}}, token).status == 201);
  CHECK(h.client().get("/api/v1/sessions", token).json().size() == 1);
}

TEST_CASE("e2e: an API key name is limited to 255 characters, not bytes") {
  Harness h;
  const auto accepted = h.client().post(
      "/api/v1/api-keys", {{"name", repeat("é", 255)}, {"scopes", {"sessions:read"}}}, h.bearer());
  CHECK(accepted.status == 201);
  CHECK(accepted.json().at("name") == repeat("é", 255));
  const auto refused = h.client().post(
      "/api/v1/api-keys", {{"name", repeat("é", 256)}, {"scopes", {"sessions:read"}}}, h.bearer());
  CHECK(refused.status == 400);
  CHECK(refused.json().at("validationErrors").at("name") == "must be at most 255 characters");
  const auto description = h.client().post(
      "/api/v1/api-keys",
      {{"name", "d"}, {"description", repeat("€", 1000)}, {"scopes", {"sessions:read"}}},
      h.bearer());
  CHECK(description.status == 201);
}

TEST_CASE("e2e: a denied path that is not UTF-8 is audited and the audit log still reads") {
  Harness h;
  const auto key = h.key({"sessions:read"});
  // A key denied on a path holding bytes that are not UTF-8: the ACCESS_DENIED entry
  // keeps the path as received.
  const auto denied = h.client().get("/api/v1/resources/\xd1\x9e\x8f\x9f", with_key(key));
  REQUIRE(denied.status == 403);
  const auto token = h.bearer();
  REQUIRE(eventually([&] {
    const auto page = h.client().get("/api/v1/audit-logs?eventType=ACCESS_DENIED", token);
    REQUIRE(page.status == 200);
    const auto json = page.json();  // the loop below must not iterate a temporary's part
    for (const auto& entry : json.at("content")) {
      // The bytes that are not UTF-8 come back as U+FFFD.
      if (entry.at("resourceName").get<std::string>().find("\xef\xbf\xbd") != std::string::npos)
        return true;
    }
    return false;
  }));
}
