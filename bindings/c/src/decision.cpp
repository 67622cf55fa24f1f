// scopegate.h: reading a decision's fields. A NULL decision reads as a default one
// (no_route, nothing matched).
#include "handles.hpp"

namespace {

using scopegate::Reason;
using scopegate::c::view;

// scopegate_reason numbers the reasons as the engine does.
static_assert(SCOPEGATE_REASON_ALLOWED == static_cast<int>(Reason::allowed) &&
              SCOPEGATE_REASON_INVALID_PATH == static_cast<int>(Reason::invalid_path) &&
              SCOPEGATE_REASON_UNAUTHENTICATED == static_cast<int>(Reason::unauthenticated) &&
              SCOPEGATE_REASON_API_KEY_NOT_SUPPORTED ==
                  static_cast<int>(Reason::api_key_not_supported) &&
              SCOPEGATE_REASON_MISSING_SCOPE == static_cast<int>(Reason::missing_scope) &&
              SCOPEGATE_REASON_CONDITION_FAILED == static_cast<int>(Reason::condition_failed) &&
              SCOPEGATE_REASON_FORBIDDEN == static_cast<int>(Reason::forbidden) &&
              SCOPEGATE_REASON_NO_ROUTE == static_cast<int>(Reason::no_route) &&
              SCOPEGATE_REASON_METHOD_NOT_ALLOWED == static_cast<int>(Reason::method_not_allowed));

const scopegate::Decision& of(const scopegate_decision* decision) {
  static const scopegate::Decision none{};
  return decision == nullptr ? none : decision->decision;
}

}  // namespace

extern "C" {

int scopegate_decision_allowed(const scopegate_decision* decision) {
  return of(decision).allowed() ? 1 : 0;
}

int scopegate_decision_status(const scopegate_decision* decision) { return of(decision).status(); }

scopegate_reason scopegate_decision_reason(const scopegate_decision* decision) {
  return static_cast<scopegate_reason>(of(decision).reason());
}

scopegate_string scopegate_decision_reason_code(const scopegate_decision* decision) {
  return view(of(decision).reason_code());
}

scopegate_string scopegate_decision_message(const scopegate_decision* decision) {
  return view(of(decision).message());
}

int scopegate_decision_has_endpoint(const scopegate_decision* decision) {
  return of(decision).endpoint() != nullptr ? 1 : 0;
}

scopegate_string scopegate_decision_endpoint_method(const scopegate_decision* decision) {
  const auto* endpoint = of(decision).endpoint();
  return view(endpoint == nullptr ? "" : scopegate::to_string(endpoint->method));
}

scopegate_string scopegate_decision_endpoint_template(const scopegate_decision* decision) {
  const auto* endpoint = of(decision).endpoint();
  return view(endpoint == nullptr ? "" : endpoint->path_template);
}

scopegate_string scopegate_decision_endpoint_description(const scopegate_decision* decision) {
  const auto* endpoint = of(decision).endpoint();
  return view(endpoint == nullptr ? "" : endpoint->description);
}

size_t scopegate_decision_param_count(const scopegate_decision* decision) {
  return of(decision).params().size();
}

scopegate_string scopegate_decision_param_name(const scopegate_decision* decision, size_t index) {
  const auto params = of(decision).params();
  return view(index < params.size() ? params[index].name : "");
}

scopegate_string scopegate_decision_param_value(const scopegate_decision* decision, size_t index) {
  const auto params = of(decision).params();
  return view(index < params.size() ? params[index].value : "");
}

size_t scopegate_decision_required_scope_count(const scopegate_decision* decision) {
  return of(decision).required_scopes().size();
}

scopegate_string scopegate_decision_required_scope(const scopegate_decision* decision,
                                                   size_t index) {
  const auto scopes = of(decision).required_scopes();
  return view(index < scopes.size() ? scopes[index] : "");
}

scopegate_string scopegate_decision_granted_by(const scopegate_decision* decision) {
  return view(of(decision).granted_by().value_or(""));
}

scopegate_string scopegate_decision_allowed_methods(const scopegate_decision* decision) {
  return view(of(decision).allowed_methods());
}

scopegate_string scopegate_decision_rule_file(const scopegate_decision* decision) {
  const auto* rule = of(decision).rule();
  return view(rule == nullptr ? "" : rule->file);
}

uint32_t scopegate_decision_rule_line(const scopegate_decision* decision) {
  const auto* rule = of(decision).rule();
  return rule == nullptr ? 0 : rule->line;
}

uint32_t scopegate_decision_rule_column(const scopegate_decision* decision) {
  const auto* rule = of(decision).rule();
  return rule == nullptr ? 0 : rule->column;
}

}  // extern "C"
