// Authorizer: the part of a decision that needs the caller, the same wherever a request
// came in (App, for scopegate's own API; Gateway, for a reverse proxy's forward-auth
// subrequest). Once the engine has refused the request to nobody, authorize() turns its
// credentials into a principal (server/auth.cpp), records an API key's use, applies the
// key's rate limit (one limiter per server, so a key's requests count once whichever
// way they come) and asks the engine again with the principal. A refusal comes back as
// its HTTP response (server/decision_response.cpp); a key's 403 is audited, in batches.
// Also the client's address as the trusted proxies tell it. Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "scopegate/policy.hpp"
#include "scopegate/result.hpp"
#include "server/clock.hpp"
#include "server/context.hpp"
#include "server/net.hpp"
#include "server/rate_limiter.hpp"

namespace scopegate::server {

// What conditions may read about a request: `method` and `target` (the path with its
// query), the client address, `request`'s headers (kept in `headers`) and the time `at`.
Request request_facts(std::string_view method, std::string_view target, const std::string& client,
                      const HttpRequest& request, std::vector<Header>& headers, TimePoint at);

class ShadowPolicy;

// The answer to a request of `actor` that the engine refused (`decision` not allowed): for
// a user who must set up MFA first, what to do (403); else the decision's refusal
// (decision_response.hpp); an API key's 403 is audited as ACCESS_DENIED, in batches.
HttpResponse caller_refusal(Services& services, const HttpRequest& request, const Request& facts,
                            const Decision& decision, const Actor& actor, const std::string& client,
                            TimePoint at, std::string_view path);

struct Authorized {
  Decision decision;  // allowed
  std::shared_ptr<const Actor> actor;
  std::shared_ptr<const Principal> principal;
};

// A request admitted earlier, judged again later (one that waited for a password worker:
// handlers/accounts.cpp): its credentials authenticated and the engine asked under `policy`
// now, as Authorizer::authorize() does, without counting the key's use or its rate limit a
// second time. `reason`: the decision's reason code, or `unauthenticated`.
Result<Authorized, HttpResponse> authorize_again(Services& services, const HttpRequest& request,
                                                 const Policy& policy, const std::string& client,
                                                 std::string& reason);

class Authorizer {
 public:
  explicit Authorizer(Services& services);

  // The client's address: the peer, or what a trusted proxy says it is.
  std::string client_ip(const HttpRequest& request) const;

  // `facts` describe the request the engine judges (for the gateway, the original one);
  // `request` carries the credentials; `path` is what error bodies echo; `at` is the
  // request's one reading of the clock (key use, audit); `shadow`, when not null, judges
  // the request too (server/shadow.hpp) without changing the answer. Sets
  // `principal_label` (for the log) and `reason` (the decision's reason code, or
  // `unauthenticated`, `rate_limited`).
  Result<Authorized, HttpResponse> authorize(const HttpRequest& request, const Request& facts,
                                             const Policy& policy, const std::string& client,
                                             std::string_view path, TimePoint at,
                                             const ShadowPolicy* shadow,
                                             std::string& principal_label,
                                             std::string& reason) const;

 private:
  Services& m_services;
  std::vector<Cidr> m_trusted_proxies;
  // Per API key; mutable: authorize() is const and the limiter is thread-safe.
  mutable RateLimiter m_rate_limiter;
};

}  // namespace scopegate::server
