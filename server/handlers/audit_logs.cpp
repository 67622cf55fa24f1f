// GET /api/v1/audit-logs: the organization's audit entries, newest first, filtered by
// eventType, actorEmail, from (inclusive) and to (exclusive), in the Page wrapper.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <tuple>

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

// The filters are matched exactly against stored values, which hold no control
// characters; the limits keep a wrong value short. An empty parameter is no filter.
constexpr TextRule event_type_rule{64};
constexpr TextRule email_rule{255};
constexpr TextRule audit_timestamp_rule{64};
constexpr TextRule number_rule{64};

// The parameter's text when it is present, not empty and passes `rule`.
std::optional<std::string> parameter(const std::optional<std::string>& value, const char* name,
                                     const TextRule& rule, ValidationErrors& errors) {
  if (!value || value->empty()) return std::nullopt;
  if (auto problem = check_text(*value, rule)) {
    errors[name] = std::move(*problem);
    return std::nullopt;
  }
  return value;
}

}  // namespace

Result<AuditFilter, ValidationErrors> parse_audit_query(const AuditQuery& query,
                                                        std::int64_t max_size) {
  ValidationErrors errors;
  AuditFilter filter;
  filter.event_type = parameter(query.event_type, "eventType", event_type_rule, errors);
  filter.actor_email = parameter(query.actor_email, "actorEmail", email_rule, errors);
  for (const auto& [name, value, out] :
       {std::tuple{"from", &query.from, &filter.from}, std::tuple{"to", &query.to, &filter.to}}) {
    const auto text = parameter(*value, name, audit_timestamp_rule, errors);
    if (!text) continue;
    const auto parsed = parse_iso(*text);
    if (!parsed) {
      errors[name] = "must be an ISO-8601 timestamp such as 2026-02-18T10:30:00Z";
    } else {
      *out = format_stored(*parsed);
    }
  }
  if (const auto text = parameter(query.page, "page", number_rule, errors)) {
    const auto page = parse_integer(*text);
    if (!page || *page < 0 || *page > 1'000'000'000) {
      errors["page"] = "must be an integer of at least 0";
    } else {
      filter.page = *page;
    }
  }
  if (const auto text = parameter(query.size, "size", number_rule, errors)) {
    const auto size = parse_integer(*text);
    if (!size || *size < 1) {
      errors["size"] = fmt::format("must be an integer from 1 to {}", max_size);
    } else {
      filter.size = std::min<std::int64_t>(*size, max_size);
    }
  }
  if (!errors.empty()) return unexpected(std::move(errors));
  return filter;
}

namespace {

HttpResponse list_audit_logs(RequestContext& context) {
  AuditQuery query;
  query.event_type = context.query("eventType");
  query.actor_email = context.query("actorEmail");
  query.from = context.query("from");
  query.to = context.query("to");
  query.page = context.query("page");
  query.size = context.query("size");
  auto parsed = parse_audit_query(query, context.services.config.audit_max_page_size);
  if (!parsed) return validation_response(context.request.path, parsed.error());
  auto& filter = *parsed;
  filter.organization_id = context.actor->organization.id;

  const auto page = context.services.store.query_audit(filter);
  if (!page) return store_failure(context, page.error());
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
