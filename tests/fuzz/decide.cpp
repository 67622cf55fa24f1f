// Fuzz target (b): a request -> decide() on the shipped policy (policies/, compiled once).
// Whatever the request, the answer is a Decision that keeps check_decision()'s promises,
// the same from Policy::decide and Engine::decide; no crash, leak or undefined behaviour.
// Input: lines separated by '\n' (a missing line is empty; '\r' is kept as a byte):
//   1  method              GET
//   2  target              /api/v1/audit-logs?page=2  (the path, optionally ?query)
//   3  principal           key sessions:read sessions:write | role member | (else: nobody)
//   4  client address      203.0.113.7  (empty or unparsable: none)
//   5  the key's allowed_cidrs, space-separated  10.0.0.0/8 2001:db8::/32
//   6… headers             X-Forwarded-For: 198.51.100.1
// Seeds: corpus/decide/.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include "check_decision.hpp"
#include "scopegate/dsl.hpp"
#include "scopegate/engine.hpp"

namespace {

using namespace scopegate;
using fuzz::require;

const Engine& shipped() {
  static const Engine engine = [] {
    auto compiled = compile_files({std::filesystem::path(SCOPEGATE_SOURCE_DIR) / "policies"});
    if (!compiled) {
      std::fprintf(stderr, "fuzz: policies/ does not compile:\n%s\n",
                   compiled.error().render().c_str());
      std::abort();
    }
    return Engine(std::move(compiled).value());
  }();
  return engine;
}

// Splits off the text up to the next '\n' (all of it when there is none).
std::string_view next_line(std::string_view& rest) {
  const std::size_t end = rest.find('\n');
  const std::string_view line = rest.substr(0, end);
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
  return line;
}

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const std::size_t begin = text.find_first_not_of(' ');
    if (begin == std::string_view::npos) break;
    text.remove_prefix(begin);
    const std::size_t end = std::min(text.find(' '), text.size());
    out.push_back(text.substr(0, end));
    text.remove_prefix(end);
  }
  return out;
}

Principal principal_from(const Policy& policy, std::string_view line, std::string_view cidrs) {
  std::vector<std::string_view> parts = words(line);
  if (parts.size() >= 2 && parts[0] == "role") return policy.principal_for_role(parts[1]);
  if (parts.empty() || parts[0] != "key") return Principal();
  parts.erase(parts.begin());
  Principal key = policy.principal_for_key(parts);
  std::vector<Cidr> allowed;
  for (const std::string_view text : words(cidrs)) {
    if (const auto cidr = parse_cidr(text)) allowed.push_back(*cidr);
  }
  key.set_allowed_cidrs(std::move(allowed));
  return key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Engine& engine = shipped();
  const std::shared_ptr<const Policy> policy = engine.policy();

  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const std::string_view method = next_line(rest);
  const std::string_view target = next_line(rest);
  const std::string_view principal_line = next_line(rest);
  const std::string_view address = next_line(rest);
  const std::string_view cidrs = next_line(rest);
  std::vector<Header> headers;
  while (!rest.empty()) {
    const std::string_view line = next_line(rest);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    if (value.starts_with(' ')) value.remove_prefix(1);
    headers.push_back({line.substr(0, colon), value});
  }

  const Principal principal = principal_from(*policy, principal_line, cidrs);
  Request request;
  request.method = method;
  request.target = target;
  request.ip = parse_ip(address);
  request.headers = headers;

  const Decision from_policy = policy->decide(principal, request);
  fuzz::check_decision(from_policy, target);
  const Decision from_engine = engine.decide(principal, request);
  fuzz::check_decision(from_engine, target);
  require(from_engine.reason() == from_policy.reason() &&
              from_engine.endpoint() == from_policy.endpoint(),
          "Engine::decide and Policy::decide agree");

  // Without the request's extras, only conditions can change the answer.
  const Decision bare = policy->decide(principal, method, target);
  fuzz::check_decision(bare, target);
  require(bare.endpoint() == from_policy.endpoint(), "the extras do not change the route");
  return 0;
}
