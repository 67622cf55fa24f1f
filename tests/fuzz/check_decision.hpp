// What every Decision must satisfy, whatever the policy and the request: the promises of
// scopegate/decision.hpp, checked after each decide() the fuzz targets make. A broken
// promise aborts (a finding for libFuzzer, a failed test for the replay).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string_view>

#include "scopegate/decision.hpp"

namespace scopegate::fuzz {

inline void require(bool holds, const char* what) {
  if (holds) return;
  std::fprintf(stderr, "fuzz: broken promise: %s\n", what);
  std::abort();
}

// `target` is the text given to decide() as the path: parameter values borrow from it.
inline void check_decision(const Decision& decision, std::string_view target) {
  const Reason reason = decision.reason();
  const bool no_endpoint = reason == Reason::invalid_path || reason == Reason::no_route ||
                           reason == Reason::method_not_allowed;
  require(to_string(reason) != "unknown", "the reason is one of the enum's values");
  require((decision.endpoint() == nullptr) == no_endpoint,
          "an endpoint is set unless invalid_path, no_route or method_not_allowed");
  require((decision.rule() == nullptr) == (decision.endpoint() == nullptr),
          "a rule is set exactly when an endpoint matched");
  require((decision.path_error() != PathError::none) == (reason == Reason::invalid_path),
          "a path error is set exactly for invalid_path");
  require(reason != Reason::method_not_allowed || !decision.allowed_methods().empty(),
          "method_not_allowed has an Allow header value");
  require(!decision.granted_by() || decision.allowed(), "only an allow is granted by a scope");
  require((decision.failed_grant() != nullptr) == (reason == Reason::condition_failed),
          "a failed grant is set exactly for condition_failed");
  require((decision.forbid() != nullptr) == (reason == Reason::forbidden),
          "a forbid rule is set exactly for forbidden");
  require(reason == Reason::forbidden || !decision.message().empty(),
          "every decision but forbidden has a message");
  require(decision.params().size() <= max_path_params, "at most max_path_params parameters");
  const std::less_equal<const char*> at_or_before;
  for (const PathParam& param : decision.params()) {
    require(!param.name.empty(), "a parameter has a name");
    require(
        at_or_before(target.data(), param.value.data()) &&
            at_or_before(param.value.data() + param.value.size(), target.data() + target.size()),
        "a parameter value lies within the request's path");
  }
}

}  // namespace scopegate::fuzz
