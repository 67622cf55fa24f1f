// The handlers of the bundled API, one group per file, each registering itself on the
// HandlerTable under the method and template the shipped policy writes. Handlers run
// after authentication and the engine's allow: they load objects (404 for a missing one
// or another organization's), then check state (400), then write (change + audit entry
// in one transaction). Helpers shared by the groups live here too.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/context.hpp"
#include "server/handlers/bodies.hpp"
#include "server/json.hpp"
#include "server/store/store.hpp"
#include "server/text.hpp"

namespace scopegate::server {

void add_auth_handlers(HandlerTable& table);
void add_api_key_handlers(HandlerTable& table);
void add_session_handlers(HandlerTable& table);
void add_resource_handlers(HandlerTable& table);
void add_credential_handlers(HandlerTable& table);
void add_static_ip_rule_handlers(HandlerTable& table);
void add_audit_handlers(HandlerTable& table);
void add_user_handlers(HandlerTable& table);
void add_role_handlers(HandlerTable& table);
void add_admin_session_handlers(HandlerTable& table);
void add_mfa_handlers(HandlerTable& table);
void add_misc_handlers(HandlerTable& table);
void add_token_handlers(HandlerTable& table);         // refresh, logout
void add_register_handlers(HandlerTable& table);      // register
void add_password_handlers(HandlerTable& table);      // change, forgot, reset, expired
void add_organization_handlers(HandlerTable& table);  // organization settings

// The request body as the parse_* functions of bodies.hpp take it: an empty body is an
// empty object.
const nlohmann::json& request_body(const RequestContext& context);

// What the parse_* functions read fields with. Each records a problem under the field's
// name (the first one only) and then returns nullopt.
// The body itself, when it is an object; otherwise "body" gets the error.
const nlohmann::json& body_fields(const nlohmann::json& body, ValidationErrors& errors);
// An optional string: absent or null -> nullopt; another type, or text that breaks
// `rule`, is an error.
std::optional<std::string> optional_text(const nlohmann::json& body, const std::string& field,
                                         const TextRule& rule, ValidationErrors& errors);
// As optional_text(), but absent, null or empty is an error ("is required").
std::optional<std::string> required_text(const nlohmann::json& body, const std::string& field,
                                         const TextRule& rule, ValidationErrors& errors);
// An optional array of strings, each checked against `rule`; another type is an error
// worded by `expected` ("must be an array of scope names").
std::optional<std::vector<std::string>> optional_text_array(const nlohmann::json& body,
                                                            const std::string& field,
                                                            const TextRule& rule,
                                                            std::string_view expected,
                                                            ValidationErrors& errors);
// An optional integer: absent or null -> nullopt; anything else not an integer is an error.
std::optional<long long> optional_integer(const nlohmann::json& body, const std::string& field,
                                          ValidationErrors& errors);

// An optional boolean: absent or null -> nullopt; any other non-boolean is an error.
std::optional<bool> optional_flag(const nlohmann::json& body, const std::string& field,
                                  ValidationErrors& errors);

HttpResponse not_found(const RequestContext& context, std::string_view what);
// A 400 whose message is `message`, also given as the field's validation error: the
// refusals API-admin.md words ("email is required", "Cannot delete the last organization
// admin").
HttpResponse refusal(const RequestContext& context, const std::string& field,
                     const std::string& message);

// The session body as GET /sessions/{id} answers it, with its owner's name and email.
HttpResponse session_response(RequestContext& context, int status, const Session& session);
// Ends `session` (the caller's copy, changed in place) for `reason` (MANUAL, ADMIN), with
// a SESSION_STOP audit entry, if its stored status is still the one the copy has; false
// when it changed meanwhile (nothing written). Wakes the sweeper to remove its addresses.
StoreResult<bool> end_session(RequestContext& context, Session& session, std::string_view reason);
// Stops the session (a copy) for `reason` and answers as POST /sessions/{id}/stop does:
// 200 with the session, or 400 when it is not PENDING, ACTIVE or PARTIAL.
HttpResponse stop_loaded_session(RequestContext& context, Session session, std::string_view reason);

// Users (users.cpp, mfa.cpp). The user named by `id` if it is a live (not deleted) user of
// the caller's organization, else nullopt.
StoreResult<std::optional<User>> load_user(RequestContext& context, const std::string& id);
// An audit entry of `event` about `user` (resourceType USER, resourceName the email).
AuditEntry user_audit(const RequestContext& context, std::string_view event, const User& user);

// Sign-in (auth.cpp, mfa.cpp). The login throttle's name for a client address.
std::string throttle_address(std::string_view client_ip);
// The end of a successful sign-in: new access and refresh tokens, the USER_LOGIN entry
// (with `second_factor`, "TOTP" or "RECOVERY_CODE", in its details when MFA was used) and
// the 200 LoginResponse that carries them.
HttpResponse complete_sign_in(const RequestContext& context, User user,
                              const Organization& organization,
                              std::string_view second_factor = {});
// A password sign-in of a user with MFA: a new challenge for POST /auth/verify-mfa and the
// 200 LoginResponse that carries it instead of tokens.
HttpResponse mfa_challenge_response(const RequestContext& context, const User& user);
HttpResponse store_failure(const RequestContext& context, std::string_view message);
// The same for a StoreError: 503 with Retry-After: 1 when the database is busy or
// unreachable (StoreError::Kind::unavailable), else 500.
HttpResponse store_failure(const RequestContext& context, const StoreError& error);

}  // namespace scopegate::server
