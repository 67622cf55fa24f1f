#include "server/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

namespace scopegate::server {

namespace {

constexpr std::array<std::string_view, 4> route_classes = {"public", "authenticated", "scoped",
                                                           "unrouted"};
constexpr std::array<std::string_view, 3> credentials = {"api_key", "bearer", "none"};
constexpr std::array<std::string_view, 3> outcomes = {"success", "refused", "error"};

std::size_t route_class_of(const Endpoint* endpoint) {
  if (endpoint == nullptr) return 3;
  switch (endpoint->access) {
    case Access::public_:
      return 0;
    case Access::authenticated:
      return 1;
    case Access::scoped:
      return 2;
  }
  return 3;
}

std::size_t reason_index(std::string_view reason) {
  const auto& all = Metrics::reasons;
  const auto found = std::find(all.begin(), all.end() - 1, reason);
  return static_cast<std::size_t>(found - all.begin());
}

// A label value as the text format writes it: backslash, double quote and line feed escaped.
std::string escaped(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

std::string endpoint_label(const Endpoint* endpoint) {
  if (endpoint == nullptr) return "-";
  return std::string(to_string(endpoint->method)).append(" ").append(endpoint->path_template);
}

std::string_view to_string(Surface surface) noexcept {
  return surface == Surface::api ? "api" : "gateway";
}

struct Metrics::EndpointCounters {
  Surface surface = Surface::api;
  std::uint64_t policy_id = 0;
  std::uintptr_t first = 0;  // the address of the policy's first endpoint
  std::size_t endpoint_count = 0;
  std::vector<std::string> labels;        // "METHOD /template" per endpoint, then "-" (none)
  std::vector<std::uint8_t> route_class;  // per endpoint, then unrouted
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts;  // [endpoint][reason]

  std::size_t index_of(const Endpoint* endpoint) const noexcept {
    const auto address = reinterpret_cast<std::uintptr_t>(endpoint);
    if (endpoint == nullptr || address < first) return endpoint_count;
    const auto index = (address - first) / sizeof(Endpoint);
    return index < endpoint_count ? index : endpoint_count;
  }
};

Metrics::Metrics() = default;
Metrics::~Metrics() = default;

const Metrics::EndpointCounters* Metrics::counters_for(Surface surface, const Policy& policy) {
  auto& slot = m_current[static_cast<std::size_t>(surface)];
  const auto* current = slot.load(std::memory_order_acquire);
  if (current != nullptr && current->policy_id == policy.id()) return current;
  const std::lock_guard lock(m_layout_mutex);
  current = slot.load(std::memory_order_acquire);
  if (current != nullptr && current->policy_id == policy.id()) return current;
  auto made = std::make_unique<EndpointCounters>();
  made->surface = surface;
  made->policy_id = policy.id();
  const auto& endpoints = policy.endpoints();
  made->first = reinterpret_cast<std::uintptr_t>(endpoints.data());
  made->endpoint_count = endpoints.size();
  for (const auto& endpoint : endpoints) made->labels.push_back(endpoint_label(&endpoint));
  made->labels.emplace_back("-");
  for (const auto& endpoint : endpoints) {
    made->route_class.push_back(static_cast<std::uint8_t>(route_class_of(&endpoint)));
  }
  made->route_class.push_back(static_cast<std::uint8_t>(route_class_of(nullptr)));
  const auto cells = (endpoints.size() + 1) * reasons.size();
  made->counts = std::make_unique<std::atomic<std::uint64_t>[]>(cells);
  current = made.get();
  m_all.push_back(std::move(made));
  slot.store(current, std::memory_order_release);
  return current;
}

void Metrics::record_request(const Slot& slot, std::string_view reason,
                             std::chrono::nanoseconds elapsed) noexcept {
  const auto* counters = slot.counters;
  if (counters == nullptr) return;
  const auto row = counters->index_of(slot.endpoint);
  counters->counts[row * reasons.size() + reason_index(reason)].fetch_add(
      1, std::memory_order_relaxed);
  // Only the endpoint's address is used: its policy may be gone by now.
  auto& histogram =
      m_latency[static_cast<std::size_t>(counters->surface)][counters->route_class[row]];
  const double seconds = std::chrono::duration<double>(elapsed).count();
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(buckets.begin(), buckets.end(), seconds) - buckets.begin());
  histogram.counts[bucket].fetch_add(1, std::memory_order_relaxed);
  histogram.sum_nanoseconds.fetch_add(static_cast<std::uint64_t>(elapsed.count()),
                                      std::memory_order_relaxed);
}

void Metrics::record_authentication(std::string_view credential, AuthOutcome outcome) noexcept {
  const auto kind = static_cast<std::size_t>(
      std::find(credentials.begin(), credentials.end() - 1, credential) - credentials.begin());
  m_authentications[kind][static_cast<std::size_t>(outcome)].fetch_add(1,
                                                                       std::memory_order_relaxed);
}

void Metrics::record_database_error() noexcept {
  m_database_errors.fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::render(const Snapshot& snapshot) const {
  std::string out;
  header(out, "scopegate_decisions_total", "counter",
         "Requests decided, by policy, reason and endpoint template (\"-\": no endpoint).");
  {
    std::map<std::tuple<std::string_view, std::string_view, std::string_view>, std::uint64_t>
        totals;
    const std::lock_guard lock(m_layout_mutex);
    for (const auto& counters : m_all) {
      for (std::size_t row = 0; row <= counters->endpoint_count; ++row) {
        for (std::size_t reason = 0; reason < reasons.size(); ++reason) {
          const auto count =
              counters->counts[row * reasons.size() + reason].load(std::memory_order_relaxed);
          if (count == 0) continue;
          totals[{to_string(counters->surface), reasons[reason], counters->labels[row]}] += count;
        }
      }
    }
    for (const auto& [labels, count] : totals) {
      const auto& [policy, reason, endpoint] = labels;
      out += fmt::format(
          "scopegate_decisions_total{{policy=\"{}\",reason=\"{}\",endpoint=\"{}\"}} {}\n", policy,
          reason, escaped(endpoint), count);
    }
  }

  header(out, "scopegate_request_duration_seconds", "histogram",
         "Time to answer a request, by policy and route class.");
  for (std::size_t surface = 0; surface < surface_count; ++surface) {
    for (std::size_t route = 0; route < route_class_count; ++route) {
      const auto& histogram = m_latency[surface][route];
      const auto labels =
          fmt::format("policy=\"{}\",route_class=\"{}\"", to_string(static_cast<Surface>(surface)),
                      route_classes[route]);
      std::uint64_t cumulative = 0;
      for (std::size_t bucket = 0; bucket <= buckets.size(); ++bucket) {
        cumulative += histogram.counts[bucket].load(std::memory_order_relaxed);
        const auto bound = bucket < buckets.size() ? fmt::format("{}", buckets[bucket]) : "+Inf";
        out += fmt::format("scopegate_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n", labels,
                           bound, cumulative);
      }
      const double sum =
          static_cast<double>(histogram.sum_nanoseconds.load(std::memory_order_relaxed)) / 1e9;
      out += fmt::format("scopegate_request_duration_seconds_sum{{{}}} {}\n", labels, sum);
      out += fmt::format("scopegate_request_duration_seconds_count{{{}}} {}\n", labels, cumulative);
    }
  }

  header(out, "scopegate_authentications_total", "counter",
         "Credentials checked, by kind and outcome (error: the store failed).");
  for (std::size_t kind = 0; kind < credentials.size(); ++kind) {
    for (std::size_t outcome = 0; outcome < outcomes.size(); ++outcome) {
      out += fmt::format("scopegate_authentications_total{{credential=\"{}\",outcome=\"{}\"}} {}\n",
                         credentials[kind], outcomes[outcome],
                         m_authentications[kind][outcome].load(std::memory_order_relaxed));
    }
  }

  header(out, "scopegate_key_cache_lookups_total", "counter",
         "API keys presented, by whether the key memo knew them (hit) or hashed them (miss).");
  out += fmt::format("scopegate_key_cache_lookups_total{{result=\"hit\"}} {}\n",
                     snapshot.key_cache_hits);
  out += fmt::format("scopegate_key_cache_lookups_total{{result=\"miss\"}} {}\n",
                     snapshot.key_cache_misses);

  header(out, "scopegate_policy_reloads_total", "counter", "Policy reloads, by outcome.");
  for (const auto& policy : snapshot.policies) {
    out += fmt::format("scopegate_policy_reloads_total{{policy=\"{}\",outcome=\"applied\"}} {}\n",
                       to_string(policy.surface), policy.reloads_applied);
    out += fmt::format("scopegate_policy_reloads_total{{policy=\"{}\",outcome=\"refused\"}} {}\n",
                       to_string(policy.surface), policy.reloads_refused);
  }
  header(out, "scopegate_policy_info", "gauge",
         "The policy in force: the SHA-256 of its files (names and contents).");
  for (const auto& policy : snapshot.policies) {
    out += fmt::format("scopegate_policy_info{{policy=\"{}\",hash=\"{}\"}} 1\n",
                       to_string(policy.surface), escaped(policy.hash));
  }

  header(out, "scopegate_audit_queue_depth", "gauge",
         "Audit entries and key uses waiting for the audit writer.");
  out += fmt::format("scopegate_audit_queue_depth {}\n", snapshot.audit_queue_depth);
  header(out, "scopegate_audit_write_errors_total", "counter",
         "Audit batches the database refused (their entries are lost, and logged).");
  out += fmt::format("scopegate_audit_write_errors_total {}\n", snapshot.audit_write_errors);
  header(out, "scopegate_database_errors_total", "counter",
         "Requests answered 500 because the database failed.");
  out += fmt::format("scopegate_database_errors_total {}\n",
                     m_database_errors.load(std::memory_order_relaxed));
  if (!snapshot.shadows.empty()) {
    header(out, "scopegate_shadow_decisions_total", "counter",
           "Requests the shadow policy judged, by whether it agreed with the live policy.");
    for (const auto& shadow : snapshot.shadows) {
      std::uint64_t different = 0;
      for (const auto& [kind, count] : shadow.differences) different += count;
      out += fmt::format("scopegate_shadow_decisions_total{{policy=\"{}\",outcome=\"same\"}} {}\n",
                         to_string(shadow.surface), shadow.same);
      out += fmt::format(
          "scopegate_shadow_decisions_total{{policy=\"{}\",outcome=\"different\"}} {}\n",
          to_string(shadow.surface), different);
    }
    header(out, "scopegate_shadow_differences_total", "counter",
           "Requests the shadow policy judged otherwise, by live and shadow reason and endpoint.");
    for (const auto& shadow : snapshot.shadows) {
      for (const auto& [kind, count] : shadow.differences) {
        out += fmt::format(
            "scopegate_shadow_differences_total{{policy=\"{}\",live_reason=\"{}\",live_endpoint="
            "\"{}\",shadow_reason=\"{}\",shadow_endpoint=\"{}\"}} {}\n",
            to_string(shadow.surface), escaped(kind.live_reason), escaped(kind.live_endpoint),
            escaped(kind.shadow_reason), escaped(kind.shadow_endpoint), count);
      }
    }
  }
  return out;
}

}  // namespace scopegate::server
