#include "server/provider.hpp"

#include <fmt/format.h>

namespace scopegate::server {

namespace {

class ImmediateProvider final : public FirewallProvider {
 public:
  ProviderOutcome apply(const Resource& resource, const SessionResourceIp& entry) override {
    return {true, fmt::format("local:{}:{}", resource.id, entry.ip_address), std::nullopt};
  }
  ProviderOutcome remove(const SessionResourceIp&) override { return {}; }
};

}  // namespace

std::unique_ptr<FirewallProvider> make_immediate_provider() {
  return std::make_unique<ImmediateProvider>();
}

}  // namespace scopegate::server
