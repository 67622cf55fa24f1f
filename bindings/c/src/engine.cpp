// scopegate.h: the engine (scopegate::Engine), principals and deciding.
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "handles.hpp"

namespace {

using scopegate::c::guarded;

// Hands a new handle to the caller.
template <typename Handle, typename... Args>
scopegate_status hand_out(Handle** out, Args&&... args) {
  *out = new Handle{std::forward<Args>(args)...};
  return SCOPEGATE_OK;
}

// Decides into `decision` with `target` copied into it first, so that the parameters'
// values point into the decision. The decision keeps the policy it decided with and
// loads the engine's again (an atomic shared_ptr load, and the reference counting that
// goes with it) only when the engine's generation moved: what Engine::decide does on
// every call. A principal built for another policy is rebound by name, as Engine::decide
// does. The new Decision is built in place of the old one (a move assignment would copy
// its parameter storage too); should deciding throw, the decision is left empty.
template <typename Decide>
scopegate_status fill(const scopegate_engine* engine, const scopegate_principal* principal,
                      scopegate_decision* decision, const char* target, Decide&& decide) {
  decision->target.assign(target);  // on bad_alloc the old target and decision stay
  scopegate::Decision& slot = decision->decision;
  std::destroy_at(&slot);
  try {
    const std::uint64_t generation = engine->generation.load(std::memory_order_acquire);
    if (decision->generation != generation) {
      decision->policy = engine->engine.policy();
      decision->generation = generation;
    }
    const scopegate::Policy& policy = *decision->policy;
    const scopegate::Principal& asking = principal->principal;
    const std::string_view copy = decision->target;
    if (asking.kind() == scopegate::PrincipalKind::anonymous || asking.policy_id() == policy.id()) {
      ::new (static_cast<void*>(&slot)) scopegate::Decision(decide(policy, asking, copy));
    } else {
      const scopegate::Principal rebound = policy.rebind(asking);
      ::new (static_cast<void*>(&slot)) scopegate::Decision(decide(policy, rebound, copy));
    }
  } catch (...) {
    ::new (static_cast<void*>(&slot)) scopegate::Decision();
    throw;
  }
  return SCOPEGATE_OK;
}

bool usable(const scopegate_policy* policy) { return policy->policy.has_value(); }

scopegate::Policy take(scopegate_policy* policy) {
  scopegate::Policy taken = std::move(*policy->policy);
  policy->policy.reset();
  return taken;
}

}  // namespace

std::uint64_t scopegate::c::next_generation() noexcept {
  static std::atomic<std::uint64_t> count{0};
  return count.fetch_add(1, std::memory_order_relaxed) + 1;
}

extern "C" {

scopegate_status scopegate_engine_new(scopegate_policy* policy, scopegate_engine** engine) {
  if (policy == nullptr || engine == nullptr) return SCOPEGATE_ERROR_NULL_ARGUMENT;
  if (!usable(policy)) return SCOPEGATE_ERROR_POLICY_USED;
  return guarded([&] {
    *engine = new scopegate_engine(take(policy));
    return SCOPEGATE_OK;
  });
}

scopegate_status scopegate_engine_replace(scopegate_engine* engine, scopegate_policy* policy) {
  if (engine == nullptr || policy == nullptr) return SCOPEGATE_ERROR_NULL_ARGUMENT;
  if (!usable(policy)) return SCOPEGATE_ERROR_POLICY_USED;
  return guarded([&] {
    const std::lock_guard<std::mutex> lock(engine->replacing);
    engine->engine.replace(take(policy));
    engine->generation.store(scopegate::c::next_generation(), std::memory_order_release);
    return SCOPEGATE_OK;
  });
}

void scopegate_engine_free(scopegate_engine* engine) { delete engine; }

scopegate_status scopegate_principal_for_key(const scopegate_engine* engine,
                                             const char* const* scopes, size_t count,
                                             scopegate_principal** principal) {
  if (engine == nullptr || principal == nullptr || (scopes == nullptr && count != 0)) {
    return SCOPEGATE_ERROR_NULL_ARGUMENT;
  }
  for (size_t i = 0; i < count; ++i) {
    if (scopes[i] == nullptr) return SCOPEGATE_ERROR_NULL_ARGUMENT;
  }
  return guarded([&] {
    const std::vector<std::string_view> names(scopes, scopes + count);
    return hand_out(principal, engine->engine.policy()->principal_for_key(names));
  });
}

scopegate_status scopegate_principal_for_role(const scopegate_engine* engine, const char* role,
                                              scopegate_principal** principal) {
  if (engine == nullptr || role == nullptr || principal == nullptr) {
    return SCOPEGATE_ERROR_NULL_ARGUMENT;
  }
  return guarded(
      [&] { return hand_out(principal, engine->engine.policy()->principal_for_role(role)); });
}

scopegate_status scopegate_principal_anonymous(scopegate_principal** principal) {
  if (principal == nullptr) return SCOPEGATE_ERROR_NULL_ARGUMENT;
  return guarded([&] { return hand_out(principal, scopegate::Principal{}); });
}

scopegate_status scopegate_principal_set_identity(scopegate_principal* principal, const char* id,
                                                  const char* name, const char* org) {
  if (principal == nullptr) return SCOPEGATE_ERROR_NULL_ARGUMENT;
  return guarded([&] {
    const auto text = [](const char* value) { return std::string(value == nullptr ? "" : value); };
    principal->principal.set_identity(text(id), text(name), text(org));
    return SCOPEGATE_OK;
  });
}

scopegate_status scopegate_principal_set_allowed_cidrs(scopegate_principal* principal,
                                                       const char* const* cidrs, size_t count) {
  if (principal == nullptr || (cidrs == nullptr && count != 0)) {
    return SCOPEGATE_ERROR_NULL_ARGUMENT;
  }
  for (size_t i = 0; i < count; ++i) {
    if (cidrs[i] == nullptr) return SCOPEGATE_ERROR_NULL_ARGUMENT;
  }
  return guarded([&] {
    std::vector<scopegate::Cidr> ranges;
    ranges.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      const auto range = scopegate::parse_cidr(cidrs[i]);
      if (!range) return SCOPEGATE_ERROR_INVALID_ARGUMENT;
      ranges.push_back(*range);
    }
    principal->principal.set_allowed_cidrs(std::move(ranges));
    return SCOPEGATE_OK;
  });
}

void scopegate_principal_free(scopegate_principal* principal) { delete principal; }

scopegate_status scopegate_decision_new(scopegate_decision** decision) {
  if (decision == nullptr) return SCOPEGATE_ERROR_NULL_ARGUMENT;
  return guarded([&] { return hand_out(decision); });
}

void scopegate_decision_free(scopegate_decision* decision) { delete decision; }

scopegate_status scopegate_decide(const scopegate_engine* engine,
                                  const scopegate_principal* principal, const char* method,
                                  const char* target, scopegate_decision* decision) {
  if (engine == nullptr || principal == nullptr || method == nullptr || target == nullptr ||
      decision == nullptr) {
    return SCOPEGATE_ERROR_NULL_ARGUMENT;
  }
  return guarded([&] {
    return fill(engine, principal, decision, target,
                [&](const scopegate::Policy& policy, const scopegate::Principal& asking,
                    std::string_view copy) { return policy.decide(asking, method, copy); });
  });
}

scopegate_status scopegate_decide_request(const scopegate_engine* engine,
                                          const scopegate_principal* principal,
                                          const scopegate_request* request,
                                          scopegate_decision* decision) {
  if (engine == nullptr || principal == nullptr || request == nullptr || decision == nullptr ||
      request->method == nullptr || request->target == nullptr ||
      (request->headers == nullptr && request->header_count != 0)) {
    return SCOPEGATE_ERROR_NULL_ARGUMENT;
  }
  for (size_t i = 0; i < request->header_count; ++i) {
    if (request->headers[i].name == nullptr || request->headers[i].value == nullptr) {
      return SCOPEGATE_ERROR_NULL_ARGUMENT;
    }
  }
  std::optional<scopegate::IpAddress> ip;
  if (request->ip != nullptr) {
    ip = scopegate::parse_ip(request->ip);
    if (!ip) return SCOPEGATE_ERROR_INVALID_ARGUMENT;
  }
  return guarded([&] {
    std::vector<scopegate::Header> headers;
    headers.reserve(request->header_count);
    for (size_t i = 0; i < request->header_count; ++i) {
      headers.push_back({request->headers[i].name, request->headers[i].value});
    }
    const std::optional<std::int64_t> time =
        request->has_time != 0 ? std::optional<std::int64_t>(request->time) : std::nullopt;
    return fill(engine, principal, decision, request->target,
                [&](const scopegate::Policy& policy, const scopegate::Principal& asking,
                    std::string_view copy) {
                  return policy.decide(
                      asking, scopegate::Request{request->method, copy, ip, headers, time});
                });
  });
}

}  // extern "C"
