// The wire format of API.md: error bodies and the JSON shape of every object the server
// returns (camelCase, explicit nulls, ISO-8601 UTC times without fractions). Pure
// functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/http.hpp"
#include "server/store/records.hpp"

namespace scopegate::server {

using Json = nlohmann::ordered_json;

std::string_view status_text(int status);

// {"timestamp","status","error","message","path"} (+ "validationErrors" when given).
std::string error_body(int status, std::string_view message, std::string_view path,
                       const std::map<std::string, std::string>* validation_errors = nullptr);
HttpResponse error_response(int status, std::string_view message, std::string_view path);
// `response` with `Retry-After: <seconds>` (429 and 503 answers).
HttpResponse with_retry_after(HttpResponse response, std::int64_t seconds);
HttpResponse validation_response(std::string_view path,
                                 const std::map<std::string, std::string>& validation_errors,
                                 std::string_view message = "Validation failed");
// The exact body of a refused scope check: {"error":"Insufficient permissions","message":...}.
HttpResponse insufficient_permissions(std::string_view message);
HttpResponse json_response(int status, const Json& body);

Json nullable(const OptionalText& text);
Json nullable_time(const OptionalText& text);

// Appends `text` as a JSON string, exactly as Json(text).dump() writes it (the common
// case of printable ASCII without quotes or backslashes is copied directly).
void append_json_string(std::string& out, std::string_view text);

// An audit entry's details for a key: {"apiKeyId":...,"keyPrefix":...}, as nlohmann::json
// would write it (keys sorted).
void append_key_details(std::string& out, const ApiKey& key);

Json api_key_json(const ApiKey& key);
Json resource_json(const Resource& resource);
// Never the credential's data: a Credential holds it only sealed, and this shows none of it.
Json credential_json(const Credential& credential);
Json static_ip_rule_json(const StaticIpRule& rule);
// A session object as API.md shapes it, written directly into `out` (the per-request
// path of the session endpoints): what nlohmann::ordered_json would dump, byte for byte.
void append_session_body(std::string& out, const Session& session, const User& user,
                         const Organization& organization);
Json audit_json(const AuditEntry& entry, const std::string& organization_name);

}  // namespace scopegate::server
