// Gateway: scopegate as the forward-auth service of a reverse proxy (nginx
// `auth_request`, Caddy `forward_auth`, Traefik ForwardAuth, Envoy `ext_authz`), for an
// API that scopegate knows only through its policy, the gateway policy (docs/gateway.md).
// A request at the gateway path (any method) describes another one:
//   - at exactly the path, the original method and URI come from `X-Original-Method` and
//     `X-Original-URI` (nginx) or `X-Forwarded-Method` and `X-Forwarded-Uri` (Traefik,
//     Caddy); without them, with both pairs (a client may add the pair its proxy does not
//     set), a header of the pair twice, or a method that is not an HTTP token in capitals,
//     it is a 400;
//   - below the path (`/authz/v1/things`, Envoy's `path_prefix`), the original request is
//     this one's method and the rest of its target;
//   - either way, a request carrying a header with which frameworks run another request
//     than the one judged (a method override, X-Original-URL, X-Rewrite-URL) is a 400.
// The credentials are this request's `X-API-Key` or `Authorization`, judged as for
// scopegate's own API (server/authorizer.hpp: the same keys, rate limit and audit). An
// allowed request gets 200 and, for the proxy to pass upstream, `X-Scopegate-Endpoint`
// (`METHOD /template`), `X-Scopegate-Params` (`name=value&...`, the decoded values
// percent-encoded again but for unreserved characters, as in a query string),
// `X-Scopegate-Scopes` (the caller's scopes, space-separated) and `X-Scopegate-Key-Id`
// or `X-Scopegate-User-Id` (each empty when it does not apply); a refused one gets the server API's
// refusal (server/decision_response.hpp), its JSON body repeated in `X-Scopegate-Error` for proxies
// that drop the body (nginx). One log line per request. Thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "scopegate/engine.hpp"
#include "server/authorizer.hpp"
#include "server/context.hpp"
#include "server/metrics.hpp"

namespace scopegate::server {

class ShadowPolicy;

class Gateway {
 public:
  // `policy`: the engine holding the gateway policy; `path`: where the gateway answers.
  // `shadow`: a candidate gateway policy judging every request too, or null.
  Gateway(Services& services, const Engine& policy, const Authorizer& authorizer, std::string path,
          const ShadowPolicy* shadow = nullptr);

  // Whether `path` (a request's path) is the gateway's: the path itself or below it.
  bool handles(std::string_view path) const noexcept;
  HttpResponse handle(const HttpRequest& request) const;

 private:
  HttpResponse run(const HttpRequest& request, std::string& original, std::string& principal,
                   std::string& reason, Metrics::Slot& counted) const;

  Services& m_services;
  const Engine& m_engine;
  const Authorizer& m_authorizer;
  std::string m_path;
  const ShadowPolicy* m_shadow;
};

}  // namespace scopegate::server
