#include "server/decision_response.hpp"

#include <string>

#include "server/auth.hpp"
#include "server/json.hpp"

namespace scopegate::server {

HttpResponse refusal_response(const Decision& decision, Caller caller, std::string_view path) {
  const int status = decision.status();
  switch (decision.reason()) {
    case Reason::api_key_not_supported:
    case Reason::missing_scope:
    case Reason::condition_failed:
    case Reason::forbidden:
      if (caller == Caller::api_key) return insufficient_permissions(decision.message());
      return error_response(status, decision.message(), path);
    case Reason::method_not_allowed: {
      auto response = error_response(status, decision.message(), path);
      response.headers.emplace_back("Allow", std::string(decision.allowed_methods()));
      return response;
    }
    case Reason::unauthenticated: {
      auto response = error_response(status, decision.message(), path);
      response.headers.emplace_back("WWW-Authenticate", std::string(www_authenticate_challenge));
      return response;
    }
    case Reason::invalid_path:
    case Reason::no_route:
    case Reason::no_policy:  // an Engine with no policy loaded: 503
      return error_response(status, decision.message(), path);
    case Reason::allowed:
      break;
  }
  // An allowed decision is not a refusal: answering one here would be a bug, so fail
  // closed rather than let the request through without its handler.
  return error_response(500, "internal error: an allowed decision was refused", path);
}

HttpResponse authentication_refusal(const AuthFailure& failure, std::string_view path) {
  auto response = error_response(failure.status, failure.message, path);
  if (failure.status == 401) {
    response.headers.emplace_back("WWW-Authenticate", std::string(www_authenticate_challenge));
  }
  if (failure.status == 503) response.headers.emplace_back("Retry-After", "1");
  return response;
}

}  // namespace scopegate::server
