#include "server/dispatch.hpp"

#include <functional>

namespace scopegate::server {

Result<Dispatch, std::vector<std::string>> Dispatch::bind(const HandlerTable& table,
                                                          std::shared_ptr<const Policy> policy) {
  if (auto problems = table.check_against(*policy); !problems.empty()) {
    return unexpected(std::move(problems));
  }
  std::vector<const Handler*> handlers;
  handlers.reserve(policy->endpoints().size());
  for (const auto& endpoint : policy->endpoints()) {
    handlers.push_back(table.find(endpoint.method, endpoint.path_template));
  }
  return Dispatch(std::move(policy), std::move(handlers));
}

const Handler* Dispatch::handler_for(const Endpoint* endpoint) const noexcept {
  const auto& endpoints = m_policy->endpoints();
  const Endpoint* first = endpoints.data();
  const Endpoint* last = first + endpoints.size();
  // std::less: a total order even for a pointer into another policy's endpoints.
  if (endpoint == nullptr || std::less<>{}(endpoint, first) || !std::less<>{}(endpoint, last)) {
    return nullptr;
  }
  return m_handlers[static_cast<std::size_t>(endpoint - first)];
}

}  // namespace scopegate::server
