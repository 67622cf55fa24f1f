// Static IP rules: list, get, create and delete for admin users (the policy's
// static-ip-rules:manage user scope). A rule keeps one address or range open on some of
// the organization's resources until it is deleted; the sweeper applies new rules and
// removes deleted ones through the provider (static_ip_rule_sync.hpp), so a new rule is
// PENDING and a deleted one disappears from the API at once.
#include <fmt/format.h>

#include <algorithm>

#include "scopegate/ip.hpp"
#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/handlers/handlers.hpp"
#include "server/store/store.hpp"
#include "server/sweeper.hpp"

namespace scopegate::server {

namespace {

constexpr TextRule label_rule{255};
constexpr TextRule address_rule{64};
constexpr TextRule identifier_rule{100};
constexpr std::size_t max_resources = 100;

}  // namespace

Result<NewStaticIpRule, ValidationErrors> parse_static_ip_rule_body(const nlohmann::json& json) {
  ValidationErrors errors;
  const auto& body = body_fields(json, errors);
  NewStaticIpRule out;
  if (auto label = required_text(body, "label", label_rule, errors)) out.label = std::move(*label);
  if (const auto address = required_text(body, "ipAddress", address_rule, errors)) {
    if (const auto range = ::scopegate::parse_cidr(*address)) {
      out.ip_address = ::scopegate::to_string(*range);
    } else {
      errors["ipAddress"] =
          "must be an IPv4 or IPv6 address or CIDR range (host bits below the prefix zero)";
    }
  }
  const auto ids = optional_text_array(body, "resourceIds", identifier_rule,
                                       "must be an array of resource ids", errors);
  if (!errors.count("resourceIds")) {
    if (!ids || ids->empty()) {
      errors["resourceIds"] = "must name at least one resource";
    } else if (ids->size() > max_resources) {
      errors["resourceIds"] = fmt::format("at most {} resources", max_resources);
    } else {
      for (const auto& id : *ids) {
        if (std::find(out.resource_ids.begin(), out.resource_ids.end(), id) ==
            out.resource_ids.end())
          out.resource_ids.push_back(id);
      }
    }
  }
  if (!errors.empty()) return unexpected(std::move(errors));
  return out;
}

namespace {

HttpResponse rule_not_found(const RequestContext& context) {
  return error_response(404,
                        fmt::format("Static IP rule with ID {} not found", context.param("id")),
                        context.request.path);
}

StoreResult<std::optional<StaticIpRule>> load_rule(RequestContext& context) {
  auto found = context.services.store.find_static_ip_rule(context.param("id"));
  if (found && *found && (*found)->organization_id != context.actor->organization.id) {
    return std::optional<StaticIpRule>();
  }
  return found;
}

AuditEntry rule_audit(RequestContext& context, std::string_view event, const StaticIpRule& rule) {
  auto audit = context.audit(event);
  audit.resource_type = "STATIC_IP_RULE";
  audit.resource_id = rule.id;
  audit.resource_name = rule.label;
  nlohmann::json details;
  details["ipAddress"] = rule.ip_address;
  nlohmann::json resources = nlohmann::json::array();
  for (const auto& target : rule.targets) resources.push_back(target.resource_id);
  details["resourceIds"] = std::move(resources);
  audit.details_json = details.dump();
  return audit;
}

HttpResponse list_rules(RequestContext& context) {
  const auto rules = context.services.store.list_static_ip_rules(context.actor->organization.id);
  if (!rules) return store_failure(context, rules.error());
  Json out = Json::array();
  for (const auto& rule : *rules) out.push_back(static_ip_rule_json(rule));
  return json_response(200, out);
}

HttpResponse get_rule(RequestContext& context) {
  const auto rule = load_rule(context);
  if (!rule) return store_failure(context, rule.error());
  if (!*rule) return rule_not_found(context);
  return json_response(200, static_ip_rule_json(**rule));
}

HttpResponse create_rule(RequestContext& context) {
  const auto body = parse_static_ip_rule_body(request_body(context));
  if (!body) return validation_response(context.request.path, body.error());
  StaticIpRule rule;
  rule.id = generate_uuid();
  rule.organization_id = context.actor->organization.id;
  rule.label = body->label;
  rule.ip_address = body->ip_address;
  rule.status = "PENDING";
  rule.created_by_email = context.actor->user.email;
  rule.created_at = format_stored(now());
  for (const auto& id : body->resource_ids) {
    const auto resource = context.services.store.find_resource(id);
    if (!resource) return store_failure(context, resource.error());
    if (!*resource || (*resource)->organization_id != rule.organization_id) {
      return validation_response(
          context.request.path,
          {{"resourceIds", fmt::format("Resource not found with id: {}", id)}});
    }
    rule.targets.push_back(StaticIpRuleTarget{id, (*resource)->name, "PENDING", std::nullopt,
                                              std::nullopt, std::nullopt});
  }
  std::sort(rule.targets.begin(), rule.targets.end(), [](const auto& a, const auto& b) {
    return std::tie(a.resource_name, a.resource_id) < std::tie(b.resource_name, b.resource_id);
  });
  const auto saved = context.services.store.create_static_ip_rule(
      rule, rule_audit(context, "STATIC_IP_RULE_CREATED", rule));
  if (!saved) return store_failure(context, saved.error());
  if (context.services.sweeper != nullptr) context.services.sweeper->wake();
  return json_response(201, static_ip_rule_json(rule));
}

HttpResponse delete_rule(RequestContext& context) {
  const auto loaded = load_rule(context);
  if (!loaded) return store_failure(context, loaded.error());
  if (!*loaded) return rule_not_found(context);
  const auto deleted = context.services.store.delete_static_ip_rule(
      (*loaded)->id, rule_audit(context, "STATIC_IP_RULE_DELETED", **loaded));
  if (!deleted) return store_failure(context, deleted.error());
  if (!*deleted) return rule_not_found(context);  // deleted meanwhile
  if (context.services.sweeper != nullptr) context.services.sweeper->wake();
  return HttpResponse{204, "application/json", {}, ""};
}

}  // namespace

void add_static_ip_rule_handlers(HandlerTable& table) {
  table.add(Method::get, "/api/v1/static-ip-rules", list_rules);
  table.add(Method::get, "/api/v1/static-ip-rules/{id}", get_rule);
  table.add(Method::post, "/api/v1/static-ip-rules", create_rule);
  table.add(Method::delete_, "/api/v1/static-ip-rules/{id}", delete_rule);
}

}  // namespace scopegate::server
