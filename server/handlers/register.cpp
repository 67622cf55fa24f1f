// POST /api/v1/auth/register (public): a new organization and its first admin, signed in
// at once (201 AuthResponse). The slug comes from the name ("Acme Inc" -> acme-inc); a
// taken slug is a 400 on organizationName. At most accounts.registrations_per_hour
// attempts per client address (an IPv6 client's /64) per hour, counted when they begin;
// the password is hashed on a password worker. Off (403) when accounts.registration is
// false.
#include <fmt/format.h>

#include <chrono>
#include <memory>

#include "server/attempt_limiter.hpp"
#include "server/clock.hpp"
#include "server/crypto.hpp"
#include "server/handlers/accounts.hpp"
#include "server/handlers/handlers.hpp"
#include "server/store/store.hpp"

namespace scopegate::server {

std::string organization_slug(std::string_view name) {
  std::string slug;
  bool pending_dash = false;
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    const bool letter = (byte >= 'a' && byte <= 'z') || (byte >= '0' && byte <= '9');
    const bool capital = byte >= 'A' && byte <= 'Z';
    if (!letter && !capital) {
      pending_dash = !slug.empty();
      continue;
    }
    if (pending_dash) slug += '-';
    pending_dash = false;
    slug += static_cast<char>(capital ? byte - 'A' + 'a' : byte);
  }
  return slug;
}

Result<Registration, ValidationErrors> parse_register_body(const nlohmann::json& json) {
  ValidationErrors errors;
  const auto& body = body_fields(json, errors);
  Registration out;
  const auto organization = required_text(body, "organizationName", TextRule{255}, errors);
  if (organization) {
    out.organization_name = *organization;
    out.slug = organization_slug(*organization);
    if (out.slug.empty()) {
      errors["organizationName"] = "must contain a letter or digit (A-Z, a-z, 0-9)";
    }
  }
  const auto email = required_text(body, "email", email_text_rule, errors);
  if (email && !plausible_email(*email)) errors["email"] = "must be an email address";
  out.name = optional_text(body, "name", TextRule{255}, errors);
  if (out.name && out.name->empty()) out.name.reset();
  const auto password = required_text(body, "password", new_password_rule, errors);
  if (!errors.empty()) return unexpected(std::move(errors));
  out.email = *email;
  out.password = *password;
  return out;
}

namespace {

HttpResponse create(RequestContext& context, const Registration& input) {
  auto& services = context.services;
  const auto at = format_stored(now());
  Organization organization;
  organization.id = generate_uuid();
  organization.slug = input.slug;
  organization.name = input.organization_name;
  organization.created_at = at;
  organization.subscription_tier = services.config.registration_tier;
  User admin;
  admin.id = generate_uuid();
  admin.organization_id = organization.id;
  admin.email = input.email;
  admin.name = input.name.value_or(input.email);
  admin.role = "admin";
  admin.password_hash = hash_password(input.password, services.config.password_hash);
  admin.created_at = at;
  admin.last_login_at = at;
  admin.password_changed_at = at;
  const auto tokens = issue_tokens(services.config, admin.id);

  const Actor actor{ActorKind::user, admin, organization, std::nullopt};
  const RequestContext as_admin{context.request, context.decision,  &actor,
                                context.body,    context.client_ip, services};
  auto audit = as_admin.audit("ORGANIZATION_CREATE");
  audit.resource_type = "ORGANIZATION";
  audit.resource_id = organization.id;
  audit.resource_name = organization.slug;
  const auto created =
      services.store.register_organization(organization, admin, tokens.rows, audit);
  if (!created && created.error().kind == StoreError::Kind::conflict) {
    return validation_response(
        context.request.path,
        {{"organizationName",
          fmt::format("an organization with the slug `{}` already exists", organization.slug)}});
  }
  if (!created) return store_failure(context, created.error());
  return json_response(201, auth_response_json(services.config, tokens, admin, organization));
}

HttpResponse register_organization(RequestContext& context) {
  auto& services = context.services;
  if (!services.config.registration_enabled) {
    return error_response(403, "registration is disabled on this server", context.request.path);
  }
  const auto verdict = services.registration_limiter->attempt(client_address_key(context.client_ip),
                                                              std::chrono::steady_clock::now());
  if (!verdict.allowed) {
    return with_retry_after(
        error_response(429,
                       fmt::format("too many registrations from this address; retry in {} s",
                                   verdict.retry_after_seconds),
                       context.request.path),
        verdict.retry_after_seconds);
  }
  auto parsed = parse_register_body(request_body(context));
  if (!parsed) return validation_response(context.request.path, parsed.error());
  auto input = std::make_shared<const Registration>(std::move(*parsed));
  return on_password_worker(context, "registrations",
                            [input](RequestContext& deferred) { return create(deferred, *input); });
}

}  // namespace

void add_register_handlers(HandlerTable& table) {
  table.add(Method::post, "/api/v1/auth/register", register_organization);
}

}  // namespace scopegate::server
