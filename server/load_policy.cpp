#include "server/load_policy.hpp"

#include <sstream>

#include "scopegate/dsl.hpp"

namespace scopegate::server {

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

}  // namespace

Result<Policy, std::vector<std::string>> load_policy(const std::string& directory) {
  auto compiled = compile_files({directory});
  if (!compiled) return unexpected(lines_of(compiled.error().render()));
  return std::move(*compiled);
}

Result<LoadedPolicy, std::vector<std::string>> load_policy_and_warnings(
    const std::string& directory) {
  auto checked = check_files({directory});
  if (!checked.policy) return unexpected(lines_of(checked.diagnostics.render()));
  return LoadedPolicy{std::move(*checked.policy), lines_of(checked.diagnostics.render())};
}

}  // namespace scopegate::server
