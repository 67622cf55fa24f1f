// Fuzz target (d): what a client sends to each endpoint -> its parse_* function
// (server/handlers/bodies.hpp, accounts.hpp). Whatever the value, the function returns the typed
// input or validation errors, never throws, crashes, leaks or reads out of bounds; and what it
// accepts keeps the rules of docs/server.md ("Every string a client sends..."): valid
// UTF-8, no control character (tab and line breaks only in a key's description), each
// field within its length, formats checked (addresses, timestamps, numbers in range).
// What it refuses names fields, with messages that are valid UTF-8 on one line.
// Input: one selector byte, then the value.
//   selector & 0x0F, modulo 12: 0 login, 1 api-key, 2 session start, 3 session extend,
//     4 resource, 5 user, 6 resource patch, 7 credential, 8 static IP rule, 9 register,
//     10 organization settings (applied to an organization), 11 audit-log query (its six
//     parameters, as strings)
//   selector & 0x40 clear ('0'..';'): the rest is JSON text, parsed without exceptions
//     (nlohmann's parser only builds valid UTF-8)
//   selector & 0x40 set ('@'..'K'): the rest is lines `name=text` (a string of any
//     bytes but LF: invalid UTF-8 and NULs, as a percent-decoded query can hold),
//     `name[]=text` (appended to the array `name`) or `name:=json` (a JSON value), into
//     one object
// Seeds: corpus/json_bodies/.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "scopegate/ip.hpp"

#include "check_decision.hpp"
#include "scopegate/dsl.hpp"
#include "server/clock.hpp"
#include "server/config.hpp"
#include "server/handlers/accounts.hpp"
#include "server/handlers/bodies.hpp"
#include "server/net.hpp"
#include "server/text.hpp"

namespace {

using namespace scopegate;
using namespace scopegate::server;
using fuzz::require;

// The rules of docs/server.md: one line (no control character) unless free text.
constexpr TextRule one_line(std::size_t max, std::size_t min = 0) {
  return TextRule{max, min, Controls::none};
}
constexpr TextRule free_text{1000, 0, Controls::tab_and_line_breaks};
constexpr std::size_t unlimited = std::string::npos;

void require_text(std::string_view text, const TextRule& rule, const char* what) {
  require(!check_text(text, rule), what);
}

void require_optional_text(const std::optional<std::string>& text, const TextRule& rule,
                           const char* what) {
  if (text) require_text(*text, rule, what);
}

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(' ');
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

const std::vector<std::string>& role_names() {
  static const std::vector<std::string> names = [] {
    auto compiled = compile_files({std::filesystem::path(SCOPEGATE_SOURCE_DIR) / "policies"});
    if (!compiled) {
      std::fprintf(stderr, "fuzz: policies/ does not compile\n");
      std::abort();
    }
    std::vector<std::string> out;
    for (const auto& role : compiled->roles()) out.emplace_back(role.name);
    return out;
  }();
  return names;
}

// The `name=text` lines of the fields encoding, as one object.
nlohmann::json fields_object(std::string_view rest) {
  nlohmann::json object = nlohmann::json::object();
  while (!rest.empty()) {
    const std::size_t end = std::min(rest.find('\n'), rest.size());
    const std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == rest.size() ? end : end + 1);
    const std::size_t equals = line.find('=');
    if (equals == std::string_view::npos || equals == 0) continue;
    std::string_view name = line.substr(0, equals);
    const std::string_view value = line.substr(equals + 1);
    if (name.ends_with(':')) {
      name.remove_suffix(1);
      object[std::string(name)] = nlohmann::json::parse(value, nullptr, false);
    } else if (name.ends_with("[]")) {
      name.remove_suffix(2);
      auto& array = object[std::string(name)];
      if (!array.is_array()) array = nlohmann::json::array();
      array.push_back(std::string(value));
    } else {
      object[std::string(name)] = std::string(value);
    }
  }
  return object;
}

void check_errors(const ValidationErrors& errors) {
  require(!errors.empty(), "a refusal names at least one field");
  for (const auto& [field, message] : errors) {
    require(!field.empty() && !message.empty(), "a validation error has a field and a message");
    require_text(message, one_line(unlimited), "a validation message is UTF-8 on one line");
  }
}

void check(const Result<LoginBody, ValidationErrors>& parsed) {
  if (!parsed) return check_errors(parsed.error());
  require(!parsed->organization_slug || !parsed->organization_slug->empty(),
          "login: an empty organizationSlug is absent");
  require_optional_text(parsed->organization_slug, one_line(255), "login: organizationSlug");
  require_text(parsed->email, one_line(255, 1), "login: email");
  require_text(parsed->password, one_line(1024, 1), "login: password");
}

void check(const Result<KeyRequest, ValidationErrors>& parsed) {
  if (!parsed) return check_errors(parsed.error());
  require(parsed->name.has_value(), "api-key: a name is required");
  require_text(*parsed->name, one_line(unlimited), "api-key: name");
  require_text(trimmed(*parsed->name), one_line(255, 1), "api-key: name without spaces around");
  require_optional_text(parsed->description, free_text, "api-key: description");
  require(parsed->scopes && !parsed->scopes->empty(), "api-key: at least one scope");
  for (const auto& scope : *parsed->scopes) require_text(scope, one_line(1024), "api-key: scope");
  require_optional_text(parsed->expires_at, one_line(64), "api-key: expiresAt");
  require(!parsed->expires_at || parse_iso(*parsed->expires_at).has_value(),
          "api-key: expiresAt is an ISO-8601 time");
  if (parsed->allowed_cidrs) {
    for (const auto& cidr : *parsed->allowed_cidrs)
      require_text(cidr, one_line(64), "api-key: allowedCidrs entry");
  }
}

void check(const Result<SessionStart, ValidationErrors>& parsed, const SessionLimits& limits) {
  if (!parsed) return check_errors(parsed.error());
  require(parsed->duration_hours >= 1 && parsed->duration_hours <= limits.max_hours,
          "session start: durationHours within the limits");
  for (const auto& [text, version] :
       {std::pair{&parsed->ipv4_address, 4}, std::pair{&parsed->ipv6_address, 6}}) {
    if (!*text) continue;
    require_text(**text, one_line(45), "session start: an address is short text on one line");
    const auto address = server::parse_ip(**text);
    require(address && address->version == version,
            "session start: an address of the field's version, in full");
  }
}

void check(const Result<SessionExtension, ValidationErrors>& parsed) {
  if (!parsed) return check_errors(parsed.error());
  require(parsed->additional_hours >= 1, "session extend: additionalHours at least 1");
}

void check(const Result<ResourceFields, ValidationErrors>& parsed) {
  if (!parsed) return check_errors(parsed.error());
  for (const std::string* field :
       {&parsed->name, &parsed->provider, &parsed->resource_type, &parsed->resource_identifier}) {
    require_text(*field, one_line(255, 1), "resource: a required field");
  }
  require_text(parsed->credential_id, one_line(255, 1), "resource: credentialId");
  require_optional_text(parsed->region, one_line(255), "resource: region");
  if (parsed->config_json) {
    const auto config = nlohmann::json::parse(*parsed->config_json, nullptr, false);
    require(config.is_object(), "resource: config is stored as a JSON object");
  }
}

void check(const Result<ResourcePatch, ValidationErrors>& parsed) {
  if (!parsed) return check_errors(parsed.error());
  for (const auto* field : {&parsed->name, &parsed->resource_identifier, &parsed->credential_id}) {
    require_optional_text(*field, one_line(255, 1), "resource patch: a text field");
  }
  if (parsed->config_json && *parsed->config_json) {
    const auto config = nlohmann::json::parse(**parsed->config_json, nullptr, false);
    require(config.is_object(), "resource patch: config is stored as a JSON object");
  }
}

void check(const Result<NewCredential, ValidationErrors>& parsed) {
  if (!parsed) return check_errors(parsed.error());
  require_text(parsed->name, one_line(255, 1), "credential: name");
  const auto data = nlohmann::json::parse(parsed->data_json, nullptr, false);
  require(data.is_object(), "credential: the data to seal is a JSON object");
}

void check(const Result<NewStaticIpRule, ValidationErrors>& parsed) {
  if (!parsed) return check_errors(parsed.error());
  require_text(parsed->label, one_line(255, 1), "static IP rule: label");
  require(::scopegate::parse_cidr(parsed->ip_address).has_value(),
          "static IP rule: the address is a canonical range");
  require(!parsed->resource_ids.empty(), "static IP rule: at least one resource");
}

void check(const Result<NewUser, ValidationErrors>& parsed) {
  if (!parsed) return check_errors(parsed.error());
  require_text(parsed->email, one_line(255, 1), "user: email");
  require(parsed->email.find('@') != std::string::npos, "user: an email has an @");
  require_optional_text(parsed->name, one_line(255), "user: name");
  const auto& roles = role_names();
  require(std::find(roles.begin(), roles.end(), parsed->role) != roles.end(),
          "user: a role of the policy");
  require_optional_text(parsed->password, one_line(1024, 8), "user: password");
  for (const auto& id : parsed->resource_ids)
    require_text(id, one_line(100), "user: resourceIds entry");
}

void check(const Result<AuditFilter, ValidationErrors>& parsed, std::int64_t max_size) {
  if (!parsed) return check_errors(parsed.error());
  require(!parsed->event_type || !parsed->event_type->empty(), "audit: an empty filter is none");
  require_optional_text(parsed->event_type, one_line(64), "audit: eventType");
  require_optional_text(parsed->actor_email, one_line(255), "audit: actorEmail");
  for (const auto* time : {&parsed->from, &parsed->to}) {
    require_optional_text(*time, one_line(64), "audit: from and to");
    require(!*time || parse_iso(**time).has_value(), "audit: from and to are times");
  }
  require(parsed->page >= 0 && parsed->page <= 1'000'000'000, "audit: page in range");
  require(parsed->size >= 1 && parsed->size <= max_size, "audit: size in range");
}

void check(const Result<Registration, ValidationErrors>& parsed) {
  if (!parsed) return check_errors(parsed.error());
  require_text(parsed->organization_name, one_line(255, 1), "register: organizationName");
  const std::string_view slug = parsed->slug;
  require(
      !slug.empty() && slug.front() != '-' && slug.back() != '-' &&
          slug.find("--") == std::string_view::npos &&
          slug.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string_view::npos,
      "register: the slug is lower-case letters and digits in dash-separated runs");
  require(slug == organization_slug(parsed->organization_name), "register: the slug rule");
  require(plausible_email(parsed->email), "register: email");
  require_text(parsed->email, one_line(255, 3), "register: email text");
  require_optional_text(parsed->name, one_line(255, 1), "register: name");
  require_text(parsed->password, one_line(128, 8), "register: password");
}

void check(const Result<Organization, ValidationErrors>& parsed, const Organization& before) {
  if (!parsed) return check_errors(parsed.error());
  require(parsed->id == before.id && parsed->slug == before.slug &&
              parsed->subscription_tier == before.subscription_tier,
          "settings: id, slug and plan never change");
  require_text(parsed->name, one_line(255, 1), "settings: name");
  require(parsed->password_min_length >= 8 && parsed->password_min_length <= 128,
          "settings: passwordMinLength in 8..128");
  require(!parsed->password_expiration_days ||
              (*parsed->password_expiration_days >= 1 && *parsed->password_expiration_days <= 365),
          "settings: passwordExpirationDays in 1..365 or null");
}

std::optional<std::string> string_member(const nlohmann::json& body, const char* name) {
  if (!body.is_object()) return std::nullopt;
  const auto found = body.find(name);
  if (found == body.end() || !found->is_string()) return std::nullopt;
  return found->get<std::string>();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t selector = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const nlohmann::json body =
      (selector & 0x40) != 0 ? fields_object(rest) : nlohmann::json::parse(rest, nullptr, false);
  if (body.is_discarded()) return 0;  // the server answers 400 before any parse_* runs

  static const Config config;
  switch ((selector & 0x0F) % 12) {
    case 0:
      check(parse_login_body(body));
      break;
    case 1:
      check(parse_api_key_body(body));
      break;
    case 2: {
      const SessionLimits limits{config.session_default_hours, config.session_admin_max_hours};
      check(parse_session_start_body(body, limits), limits);
      break;
    }
    case 3:
      check(parse_session_extend_body(body));
      break;
    case 4:
      check(parse_resource_body(body));
      break;
    case 5:
      check(parse_user_body(body, role_names()));
      break;
    case 6:
      check(parse_resource_patch_body(body));
      break;
    case 7:
      check(parse_credential_body(body));
      break;
    case 8:
      check(parse_static_ip_rule_body(body));
      break;
    case 9:
      check(parse_register_body(body));
      break;
    case 10: {
      Organization organization;
      organization.id = "org";
      organization.slug = "acme";
      organization.name = "Acme";
      organization.subscription_tier = "FREE";
      check(apply_settings_body(body, organization), organization);
      break;
    }
    default: {
      AuditQuery query;
      query.event_type = string_member(body, "eventType");
      query.actor_email = string_member(body, "actorEmail");
      query.from = string_member(body, "from");
      query.to = string_member(body, "to");
      query.page = string_member(body, "page");
      query.size = string_member(body, "size");
      check(parse_audit_query(query, config.audit_max_page_size), config.audit_max_page_size);
      break;
    }
  }
  return 0;
}
