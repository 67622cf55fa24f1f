// `GET /metrics`, the Prometheus scrape (server/metrics.hpp renders it). Who may read it:
// with no `[metrics] bearer_token`, a peer on the loopback network (127.0.0.0/8, ::1)
// only; with one, only a request that presents it (`Authorization: Bearer <token>`,
// compared in constant time), from any address. Anything else gets the server's JSON 403
// (405 for a method other than GET or HEAD). Pure apart from what `snapshot` gathers.
#pragma once

#include <functional>
#include <string_view>

#include "server/http.hpp"
#include "server/metrics.hpp"

namespace scopegate::server {

inline constexpr std::string_view metrics_path = "/metrics";

bool metrics_allowed(std::string_view peer_ip, std::string_view authorization,
                     std::string_view token);

HttpResponse metrics_response(const HttpRequest& request, std::string_view token,
                              const Metrics& metrics,
                              const std::function<Metrics::Snapshot()>& snapshot);

}  // namespace scopegate::server
