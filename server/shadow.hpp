// ShadowPolicy: a candidate policy that judges every request beside the live one
// (`--shadow-policies DIR` for the server's own policy, `--gateway-shadow-policies DIR`
// for the gateway's), without changing any answer: the response always comes from the
// live policy. Each request is compared once, at its final decision: allow or deny,
// reason, endpoint. The same principal is judged (rebound to the candidate by its scope
// names or role); a request refused for want of credentials is compared with what the
// candidate says to nobody (a route the candidate makes public is a difference). Rate
// limited and malformed requests are not compared. Differences are counted by kind for
// /metrics and logged once per distinct kind, with an example request. `scopegate diff`
// says what could change; this says what does, on real traffic. Thread-safe: a request
// that agrees costs one decision and a relaxed atomic add; a difference takes a mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/logger.h>

#include "scopegate/engine.hpp"
#include "server/metrics.hpp"

namespace scopegate::server {

class ShadowPolicy {
 public:
  ShadowPolicy(Surface surface, Engine& candidate, std::shared_ptr<spdlog::logger> logger);

  // `live` was decided for `principal` (nobody for a public route's allow).
  void compare(const Decision& live, const Principal& principal, const Request& facts,
               std::string_view principal_label) const;
  // The live answer was 401 (the request's credentials failed); `live` is the live
  // policy's decision for nobody.
  void compare_unauthenticated(const Decision& live, const Request& facts) const;

  Metrics::ShadowCounts counts() const;

 private:
  void record(std::string_view live_reason, std::string_view live_endpoint, const Decision& shadow,
              const Request& facts, std::string_view principal_label) const;

  Surface m_surface;
  Engine& m_candidate;
  std::shared_ptr<spdlog::logger> m_logger;
  mutable std::atomic<std::uint64_t> m_same{0};
  mutable std::mutex m_mutex;  // guards m_differences
  mutable std::map<Metrics::ShadowDifference, std::uint64_t> m_differences;
};

}  // namespace scopegate::server
