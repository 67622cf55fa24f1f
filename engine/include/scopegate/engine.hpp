// Engine: holds the current Policy and swaps it atomically. decide() takes a snapshot
// of the policy for the length of one decision, so a reload never blocks or tears a
// decision in flight. All members but the moves are safe to call from any thread; an
// Engine may be moved only while no other thread uses it.
// An Engine may hold no policy (default-constructed, or moved from): it then refuses
// everything with Reason::no_policy (503) until replace() loads one.
// This is the one header an embedder includes; it needs only the standard library.
#pragma once

#include <atomic>
#include <memory>
#include <string_view>

#include "scopegate/decision.hpp"
#include "scopegate/export.hpp"
#include "scopegate/policy.hpp"
#include "scopegate/policy_builder.hpp"
#include "scopegate/principal.hpp"
#include "scopegate/result.hpp"
#include "scopegate/version.hpp"

namespace scopegate {

class SCOPEGATE_EXPORT Engine {
 public:
  // No policy: every decision is no_policy until replace().
  Engine() noexcept = default;
  explicit Engine(Policy policy);
  // The moved-from Engine holds no policy.
  Engine(Engine&& other) noexcept;
  Engine& operator=(Engine&& other) noexcept;

  // The policy in force now, or null while none is loaded; keep the pointer for as long
  // as you use what it returns.
  std::shared_ptr<const Policy> policy() const noexcept;
  bool has_policy() const noexcept { return policy() != nullptr; }
  // Makes `policy` the one in force for every decision that starts after this returns.
  void replace(Policy policy);

  // Decides against the current policy. A principal built for an earlier policy is
  // rebound by name first (that, and only that, allocates). The Decision keeps its
  // policy alive.
  Decision decide(const Principal& principal, std::string_view method, std::string_view path) const;
  Decision decide(const Principal& principal, const Request& request) const;

 private:
  std::atomic<std::shared_ptr<const Policy>> m_policy;
};

}  // namespace scopegate
