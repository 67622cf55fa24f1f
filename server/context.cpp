#include "server/context.hpp"

#include <fmt/format.h>

#include "scopegate/path.hpp"
#include "scopegate/policy.hpp"
#include "scopegate/source_location.hpp"
#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/json.hpp"

namespace scopegate::server {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Form decoding for query strings: `+` is a space, bad escapes are kept as written.
std::string decode_query_component(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

std::string Actor::label() const {
  if (kind == ActorKind::api_key && key) return key->key_prefix;
  return fmt::format("user:{}", user.id);
}

std::string RequestContext::param(std::string_view name) const {
  if (const auto value = decision.param(name)) return percent_decode(*value);
  const auto params = decision.params();
  return params.empty() ? std::string() : percent_decode(params.front().value);
}

std::optional<std::string> RequestContext::query(std::string_view name) const {
  std::string_view rest = request.query;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    const auto eq = pair.find('=');
    if (decode_query_component(pair.substr(0, eq)) != name) continue;
    return eq == std::string_view::npos ? std::string()
                                        : decode_query_component(pair.substr(eq + 1));
  }
  return std::nullopt;
}

AuditEntry RequestContext::audit(std::string_view event_type, AuditId id) const {
  AuditEntry entry;
  if (id == AuditId::now) entry.id = generate_uuid();
  entry.event_type = std::string(event_type);
  entry.created_at = format_stored(now());
  entry.ip_address = client_ip;
  if (actor != nullptr) {
    entry.organization_id = actor->organization.id;
    entry.actor_email = actor->user.email;
    entry.actor_type = std::string(actor->actor_type());
    if (actor->key) {
      entry.details_json.clear();
      append_key_details(entry.details_json, *actor->key);
    }
  } else {
    entry.actor_type = "ANONYMOUS";
  }
  return entry;
}

void HandlerTable::add(Method method, std::string path_template, Handler handler) {
  m_entries.push_back(Entry{method, std::move(path_template), std::move(handler)});
  m_index.clear();
  for (const auto& entry : m_entries) {
    auto& slots = m_index[entry.path_template];
    slots[static_cast<std::size_t>(entry.method)] = &entry.handler;
  }
}

const Handler* HandlerTable::find(Method method, std::string_view path_template) const {
  const auto found = m_index.find(path_template);
  if (found == m_index.end()) return nullptr;
  return found->second[static_cast<std::size_t>(method)];
}

std::vector<std::string> HandlerTable::check_against(const Policy& policy) const {
  std::vector<std::string> problems;
  for (const auto& endpoint : policy.endpoints()) {
    if (find(endpoint.method, endpoint.path_template) == nullptr) {
      problems.push_back(fmt::format("{}: policy endpoint `{} {}` has no handler in the server",
                                     to_string(endpoint.location), to_string(endpoint.method),
                                     endpoint.path_template));
    }
  }
  for (const auto& entry : m_entries) {
    if (policy.find_endpoint(entry.method, entry.path_template) == nullptr) {
      problems.push_back(fmt::format("server handler `{} {}` has no endpoint in the policy",
                                     to_string(entry.method), entry.path_template));
    }
  }
  return problems;
}

}  // namespace scopegate::server
