// The subscription tiers (plans) of an organization and what each allows: FREE 3 users
// and 5 resources, BUSINESS 50 and 100, ENTERPRISE 500 and 1000, PLATFORM unlimited
// (API-admin.md). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace scopegate::server {

struct PlanLimits {
  std::optional<std::int64_t> max_users;  // nullopt: unlimited
  std::optional<std::int64_t> max_resources;
};

bool is_plan(std::string_view tier);
// The limits of `tier`; an unknown tier has those of FREE.
PlanLimits plan_limits(std::string_view tier);

}  // namespace scopegate::server
