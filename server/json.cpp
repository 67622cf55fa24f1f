#include "server/json.hpp"

#include <algorithm>

#include "server/clock.hpp"

namespace scopegate::server {

std::string_view status_text(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

std::string error_body(int status, std::string_view message, std::string_view path,
                       const std::map<std::string, std::string>* validation_errors) {
  Json body;
  body["timestamp"] = wire_time(format_stored(now()));
  body["status"] = status;
  body["error"] = status_text(status);
  body["message"] = message;
  body["path"] = path;
  if (validation_errors != nullptr) {
    Json errors = Json::object();
    for (const auto& [field, reason] : *validation_errors) errors[field] = reason;
    body["validationErrors"] = std::move(errors);
  }
  // The path is the client's bytes, not always UTF-8: what is not comes back as U+FFFD
  // (dump() would throw, and out of the transport that stops the server).
  return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

HttpResponse error_response(int status, std::string_view message, std::string_view path) {
  return HttpResponse{status, "application/json", {}, error_body(status, message, path)};
}

HttpResponse with_retry_after(HttpResponse response, std::int64_t seconds) {
  response.headers.emplace_back("Retry-After", std::to_string(seconds));
  return response;
}

HttpResponse validation_response(std::string_view path,
                                 const std::map<std::string, std::string>& validation_errors,
                                 std::string_view message) {
  return HttpResponse{
      400, "application/json", {}, error_body(400, message, path, &validation_errors)};
}

HttpResponse insufficient_permissions(std::string_view message) {
  std::string body = R"({"error":"Insufficient permissions","message":)";
  append_json_string(body, message);
  body += '}';
  return HttpResponse{403, "application/json", {}, std::move(body)};
}

void append_key_details(std::string& out, const ApiKey& key) {
  out += R"({"apiKeyId":)";
  append_json_string(out, key.id);
  out += R"(,"keyPrefix":)";
  append_json_string(out, key.key_prefix);
  out += '}';
}

void append_json_string(std::string& out, std::string_view text) {
  const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
    return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
  });
  if (!plain) {
    // Stored text need not be UTF-8 (a denied request's path is kept as received): bad
    // bytes come out as U+FFFD rather than as an exception.
    out += Json(std::string(text)).dump(-1, ' ', false, Json::error_handler_t::replace);
    return;
  }
  out += '"';
  out += text;
  out += '"';
}

HttpResponse json_response(int status, const Json& body) {
  return HttpResponse{
      status, "application/json", {}, body.dump(-1, ' ', false, Json::error_handler_t::replace)};
}

Json nullable(const OptionalText& text) { return text ? Json(*text) : Json(nullptr); }
Json nullable_time(const OptionalText& text) {
  return text ? Json(wire_time(*text)) : Json(nullptr);
}

Json api_key_json(const ApiKey& key) {
  Json out;
  out["id"] = key.id;
  out["name"] = key.name;
  out["description"] = nullable(key.description);
  out["keyPrefix"] = key.key_prefix;
  out["scopes"] = key.scopes;
  out["allowedCidrs"] = key.allowed_cidrs;
  out["isRevoked"] = key.revoked_at.has_value();
  out["revokedAt"] = nullable_time(key.revoked_at);
  out["expiresAt"] = nullable_time(key.expires_at);
  out["lastUsedAt"] = nullable_time(key.last_used_at);
  out["lastUsedIp"] = nullable(key.last_used_ip);
  out["createdByEmail"] = key.created_by_email;
  out["createdAt"] = wire_time(key.created_at);
  return out;
}

Json resource_json(const Resource& r) {
  Json out;
  out["id"] = r.id;
  out["name"] = r.name;
  out["credentialId"] = nullable(r.credential_id);
  out["credentialName"] = nullable(r.credential_name);
  out["provider"] = r.provider;
  out["resourceType"] = r.resource_type;
  out["resourceIdentifier"] = r.resource_identifier;
  out["region"] = nullable(r.region);
  out["config"] = r.config_json ? Json::parse(*r.config_json, nullptr, false) : Json(nullptr);
  if (out["config"].is_discarded()) out["config"] = nullptr;
  out["isActive"] = r.active;
  out["lastVerifiedAt"] = nullable_time(r.last_verified_at);
  out["createdAt"] = wire_time(r.created_at);
  out["updatedAt"] = wire_time(r.updated_at);
  return out;
}

Json credential_json(const Credential& c) {
  Json out;
  out["id"] = c.id;
  out["name"] = c.name;
  out["provider"] = c.provider;
  out["credentialType"] = c.credential_type;
  out["isValid"] = c.valid ? Json(*c.valid) : Json(nullptr);
  out["lastVerifiedAt"] = nullable_time(c.last_verified_at);
  out["verificationError"] = nullable(c.verification_error);
  out["createdAt"] = wire_time(c.created_at);
  out["updatedAt"] = wire_time(c.updated_at);
  return out;
}

Json static_ip_rule_json(const StaticIpRule& rule) {
  Json out;
  out["id"] = rule.id;
  out["label"] = rule.label;
  out["ipAddress"] = rule.ip_address;
  out["status"] = rule.status;
  out["createdByEmail"] = rule.created_by_email;
  out["createdAt"] = wire_time(rule.created_at);
  out["resources"] = Json::array();
  for (const auto& target : rule.targets) {
    Json item;
    item["resourceId"] = target.resource_id;
    item["resourceName"] = target.resource_name;
    item["status"] = target.status;
    item["appliedAt"] = nullable_time(target.applied_at);
    item["errorMessage"] = nullable(target.error_message);
    out["resources"].push_back(std::move(item));
  }
  return out;
}

namespace {

// "key":value pairs of one object; the caller writes the braces.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : m_out(out) {}
  void text(std::string_view key, std::string_view value) {
    this->key(key);
    append_json_string(m_out, value);
  }
  void nullable(std::string_view key, const OptionalText& value) {
    this->key(key);
    if (value) {
      append_json_string(m_out, *value);
    } else {
      m_out += "null";
    }
  }
  void time(std::string_view key, std::string_view stored) {
    this->key(key);
    append_json_string(m_out, wire_time(stored));
  }
  void nullable_time(std::string_view key, const OptionalText& stored) {
    if (stored) return time(key, *stored);
    this->key(key);
    m_out += "null";
  }
  // Starts a value written by the caller.
  void key(std::string_view key) {
    if (!m_first) m_out += ',';
    m_first = false;
    m_out += '"';
    m_out += key;
    m_out += "\":";
  }

 private:
  std::string& m_out;
  bool m_first = true;
};

}  // namespace

void append_session_body(std::string& out, const Session& s, const User& user,
                         const Organization& organization) {
  out += '{';
  ObjectWriter object(out);
  object.text("id", s.id);
  object.text("userId", s.user_id);
  object.text("userName", user.name);
  object.text("userEmail", user.email);
  object.nullable("ipv4Address", s.ipv4_address);
  object.nullable("ipv6Address", s.ipv6_address);
  object.text("status", s.status);
  object.time("startedAt", s.started_at);
  object.time("expiresAt", s.expires_at);
  object.nullable_time("endedAt", s.ended_at);
  object.nullable("endedReason", s.ended_reason);
  object.key("resourceIps");
  out += '[';
  for (std::size_t i = 0; i < s.resource_ips.size(); ++i) {
    const auto& ip = s.resource_ips[i];
    out += i == 0 ? "{" : ",{";
    ObjectWriter entry(out);
    entry.text("id", ip.id);
    entry.text("resourceId", ip.resource_id);
    entry.text("resourceName", ip.resource_name);
    entry.text("ipVersion", ip.ip_version);
    entry.text("ipAddress", ip.ip_address);
    entry.text("status", ip.status);
    entry.nullable("providerRuleId", ip.provider_rule_id);
    entry.nullable_time("appliedAt", ip.applied_at);
    entry.nullable_time("removedAt", ip.removed_at);
    entry.nullable("errorMessage", ip.error_message);
    out += '}';
  }
  out += ']';
  object.time("createdAt", s.created_at);
  object.text("organizationName", organization.name);
  out += '}';
}

Json audit_json(const AuditEntry& a, const std::string& organization_name) {
  Json out;
  out["id"] = a.id;
  out["eventType"] = a.event_type;
  out["actorEmail"] = nullable(a.actor_email);
  out["actorType"] = a.actor_type;
  out["resourceType"] = nullable(a.resource_type);
  out["resourceId"] = nullable(a.resource_id);
  out["resourceName"] = nullable(a.resource_name);
  out["result"] = a.result;
  out["ipAddress"] = nullable(a.ip_address);
  out["errorMessage"] = nullable(a.error_message);
  out["details"] = Json::parse(a.details_json, nullptr, false);
  if (out["details"].is_discarded()) out["details"] = nullptr;
  out["organizationName"] = organization_name;
  out["createdAt"] = wire_time(a.created_at);
  return out;
}

}  // namespace scopegate::server
