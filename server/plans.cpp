#include "server/plans.hpp"

#include <array>
#include <utility>

namespace scopegate::server {

namespace {

struct Plan {
  std::string_view tier;
  PlanLimits limits;
};

const std::array<Plan, 4>& plans() {
  static const std::array<Plan, 4> all = {{
      {"FREE", {3, 5}},
      {"BUSINESS", {50, 100}},
      {"ENTERPRISE", {500, 1000}},
      {"PLATFORM", {std::nullopt, std::nullopt}},
  }};
  return all;
}

}  // namespace

bool is_plan(std::string_view tier) {
  for (const auto& plan : plans()) {
    if (plan.tier == tier) return true;
  }
  return false;
}

PlanLimits plan_limits(std::string_view tier) {
  for (const auto& plan : plans()) {
    if (plan.tier == tier) return plan.limits;
  }
  return plans().front().limits;
}

}  // namespace scopegate::server
