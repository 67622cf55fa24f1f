// Policy::Impl: the compiled policy's storage and its route trie. Private to engine/.
// Built once by PolicyBuilder, never modified afterwards.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "condition_program.hpp"
#include "scopegate/policy.hpp"

namespace scopegate {

inline constexpr std::uint32_t no_index = UINT32_MAX;

// One trie node: the path so far. Children are tried literal first, then the
// single-segment wildcard (`{param}` or `*`), then `**`.
struct TrieNode {
  std::vector<std::pair<std::string, std::uint32_t>> literals;  // sorted by text
  std::uint32_t single = no_index;
  std::uint32_t rest = no_index;
  // Endpoint index per Method (Method::any last); no_index when none.
  std::array<std::uint32_t, method_count> by_method;
  bool has_endpoints = false;
  std::uint8_t method_mask = 0;  // bit m set: an endpoint for Method m ends here

  TrieNode() { by_method.fill(no_index); }
};

struct Policy::Impl {
  std::uint64_t id = 0;
  std::vector<Scope> scopes;
  std::vector<Endpoint> endpoints;
  std::vector<Role> roles;
  std::vector<ForbidRule> forbids;
  ConditionProgram conditions;
  std::vector<TrieNode> nodes;  // nodes[0] is the root `/`
  std::map<std::string, ScopeId, std::less<>> scope_index;
  std::map<std::string, std::size_t, std::less<>> role_index;
  // The Allow header for every set of methods, by method mask: "GET, POST".
  std::array<std::string, 1U << method_count> allow_headers;
};

}  // namespace scopegate
