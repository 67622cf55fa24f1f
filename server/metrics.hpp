// Metrics: what `GET /metrics` shows, in the Prometheus text format (version 0.0.4):
// decisions by policy, reason and endpoint template; request latency histograms by
// policy and route class (public, authenticated, scoped, unrouted); authentication
// outcomes; database errors; and, filled in at scrape time by the caller, key cache
// lookups, policy reloads and hashes, and the audit queue.
// Recording is cheap and lock-free: relaxed atomic adds into arrays laid out once per
// compiled policy (an EndpointCounters, found by an atomic pointer); a policy seen for
// the first time (after a reload) takes a mutex once to lay out its arrays. Earlier
// arrays are kept, so that a counter never goes back. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "scopegate/policy.hpp"

namespace scopegate::server {

// Which policy decided: the server's own API, or the gateway's (server/gateway.hpp).
enum class Surface : std::uint8_t { api, gateway };
inline constexpr std::size_t surface_count = 2;
std::string_view to_string(Surface surface) noexcept;

// "METHOD /template" (METHOD `*` for any), or "-" for no endpoint.
std::string endpoint_label(const Endpoint* endpoint);

enum class AuthOutcome : std::uint8_t { success, refused, error };

class Metrics {
 public:
  // The counters of one compiled policy's endpoints; never freed while Metrics lives.
  struct EndpointCounters;

  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The counters for `policy`: the same object while the surface's policy stays.
  const EndpointCounters* counters_for(Surface surface, const Policy& policy);

  // Where one request is counted, filled in as it is decided: `endpoint` is the matched
  // endpoint of the policy `counters` were made for, or null (only its address is used).
  struct Slot {
    const EndpointCounters* counters = nullptr;  // null: not counted
    const Endpoint* endpoint = nullptr;
  };
  // One request's outcome; `reason`
  // the reason code the log line shows (`allowed`, `missing_scope`, `unauthenticated`,
  // `rate_limited`, ...; anything else counts as `other`).
  void record_request(const Slot& slot, std::string_view reason,
                      std::chrono::nanoseconds elapsed) noexcept;
  // `credential`: "api_key", "bearer" or "none".
  void record_authentication(std::string_view credential, AuthOutcome outcome) noexcept;
  void record_database_error() noexcept;

  // A shadow policy's disagreements (server/shadow.hpp): one kind of difference.
  struct ShadowDifference {
    std::string live_reason;
    std::string live_endpoint;
    std::string shadow_reason;
    std::string shadow_endpoint;
    friend auto operator<=>(const ShadowDifference&, const ShadowDifference&) = default;
  };
  struct ShadowCounts {
    Surface surface = Surface::api;
    std::uint64_t same = 0;
    std::vector<std::pair<ShadowDifference, std::uint64_t>> differences;
  };

  // What the caller knows at scrape time.
  struct Snapshot {
    std::uint64_t key_cache_hits = 0;
    std::uint64_t key_cache_misses = 0;
    struct PolicyState {
      Surface surface = Surface::api;
      std::uint64_t reloads_applied = 0;
      std::uint64_t reloads_refused = 0;
      std::string hash;  // of the loaded policy's files
    };
    std::vector<PolicyState> policies;
    std::uint64_t audit_queue_depth = 0;
    std::uint64_t audit_write_errors = 0;
    std::vector<ShadowCounts> shadows;
  };
  // Everything, in the Prometheus text format.
  std::string render(const Snapshot& snapshot) const;

  // Reason labels, in counter order; the last one is `other`.
  // The policy's and the authentication's first, then a handler's refusals (app.cpp).
  static constexpr std::array<std::string_view, 18> reasons = {"allowed",
                                                               "invalid_path",
                                                               "unauthenticated",
                                                               "api_key_not_supported",
                                                               "missing_scope",
                                                               "condition_failed",
                                                               "forbidden",
                                                               "no_route",
                                                               "method_not_allowed",
                                                               "rate_limited",
                                                               "malformed_json",
                                                               "invalid_request",
                                                               "refused",
                                                               "not_found",
                                                               "conflict",
                                                               "unavailable",
                                                               "error",
                                                               "other"};
  // Upper bounds of the latency buckets, in seconds (+Inf is implied).
  static constexpr std::array<double, 14> buckets = {0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                                     0.0025,  0.005,  0.01,    0.025,  0.05,
                                                     0.1,     0.25,   0.5,     1.0};

 private:
  struct Histogram {
    std::array<std::atomic<std::uint64_t>, buckets.size() + 1> counts{};
    std::atomic<std::uint64_t> sum_nanoseconds{0};
  };
  static constexpr std::size_t route_class_count = 4;  // public, authenticated, scoped, unrouted

  std::array<std::atomic<const EndpointCounters*>, surface_count> m_current{};
  mutable std::mutex m_layout_mutex;  // guards m_all
  std::vector<std::unique_ptr<EndpointCounters>> m_all;
  std::array<std::array<Histogram, route_class_count>, surface_count> m_latency{};
  std::array<std::array<std::atomic<std::uint64_t>, 3>, 3> m_authentications{};
  std::atomic<std::uint64_t> m_database_errors{0};
};

}  // namespace scopegate::server
