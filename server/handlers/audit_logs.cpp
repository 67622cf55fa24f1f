// GET /api/v1/audit-logs: the organization's audit entries, newest first, filtered by
// eventType, actorEmail, from (inclusive) and to (exclusive), in the Page wrapper.
#include <fmt/format.h>

#include <charconv>

#include "server/clock.hpp"
#include "server/handlers/handlers.hpp"
#include "server/store/store.hpp"

namespace scopegate::server {

namespace {

std::optional<std::int64_t> parse_integer(const std::string& text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || ptr != end) return std::nullopt;
  return value;
}

HttpResponse list_audit_logs(RequestContext& context) {
  const int max_size = context.services.config.audit_max_page_size;
  ValidationErrors errors;
  AuditFilter filter;
  filter.organization_id = context.actor->organization.id;
  if (auto value = context.query("eventType"); value && !value->empty()) filter.event_type = value;
  if (auto value = context.query("actorEmail"); value && !value->empty())
    filter.actor_email = value;
  for (const auto& [name, out] : {std::pair{"from", &filter.from}, std::pair{"to", &filter.to}}) {
    const auto value = context.query(name);
    if (!value || value->empty()) continue;
    const auto parsed = parse_iso(*value);
    if (!parsed) {
      errors[name] = "must be an ISO-8601 timestamp such as 2026-02-18T10:30:00Z";
    } else {
      *out = format_stored(*parsed);
    }
  }
  if (const auto value = context.query("page"); value && !value->empty()) {
    const auto page = parse_integer(*value);
    if (!page || *page < 0 || *page > 1'000'000'000) {
      errors["page"] = "must be an integer of at least 0";
    } else {
      filter.page = *page;
    }
  }
  if (const auto value = context.query("size"); value && !value->empty()) {
    const auto size = parse_integer(*value);
    if (!size || *size < 1) {
      errors["size"] = fmt::format("must be an integer from 1 to {}", max_size);
    } else {
      filter.size = std::min<std::int64_t>(*size, max_size);
    }
  }
  if (!errors.empty()) return validation_response(context.request.path, errors);

  const auto page = context.services.store.query_audit(filter);
  if (!page) return store_failure(context, page.error().message);
  Json content = Json::array();
  for (const auto& entry : page->content) {
    content.push_back(audit_json(entry, context.actor->organization.name));
  }
  Json out;
  out["content"] = std::move(content);
  out["totalElements"] = page->total;
  out["totalPages"] = (page->total + filter.size - 1) / filter.size;
  out["number"] = filter.page;
  out["size"] = filter.size;
  return json_response(200, out);
}

}  // namespace

void add_audit_handlers(HandlerTable& table) {
  table.add(Method::get, "/api/v1/audit-logs", list_audit_logs);
}

}  // namespace scopegate::server
