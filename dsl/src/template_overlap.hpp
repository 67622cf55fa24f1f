// Which path templates overlap (some path matches both), found without comparing every
// pair, and what to say about two that do: a path both match, and which one names a segment
// the other leaves open. For the overlapping-routes and forbid-matches-nothing warnings
// (warnings.cpp). Pure functions; a TemplateTrie is read-only once built.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "scopegate/template.hpp"

namespace scopegate {

// Whether some concrete path matches both templates.
bool overlap(const Template& a, const Template& b);

// The templates of a policy's endpoints as a trie of segments, to find the templates that
// overlap one without comparing every pair: the walk takes a literal to that literal's
// child and to the `{param}`/`*` child, a `{param}` or `*` to every child, and a `**` to
// the whole subtree; a `**` in the trie meets whatever walks past its node.
class TemplateTrie {
 public:
  // `templates` must outlive the trie (its literals are keys).
  explicit TemplateTrie(const std::vector<Template>& templates);

  // The index of every template some path matches along with `t` (`t`'s own included).
  void overlapping(const Template& t, std::vector<std::uint32_t>& out) const { walk(0, 0, t, out); }

 private:
  static constexpr std::uint32_t none = UINT32_MAX;

  struct Node {
    std::unordered_map<std::string_view, std::uint32_t> literals;
    std::uint32_t single = none;       // `{param}` or `*`
    std::vector<std::uint32_t> ends;   // templates that end here
    std::vector<std::uint32_t> rests;  // templates that go on with `**` here
  };

  std::uint32_t child(std::uint32_t node, const Segment& segment);
  void walk(std::uint32_t node, std::size_t i, const Template& t,
            std::vector<std::uint32_t>& out) const;
  void subtree(std::uint32_t node, std::vector<std::uint32_t>& out) const;

  std::vector<Node> m_nodes;
};

// A path both templates match (they overlap): each segment the literal of either, else
// `placeholder`; where one ends in `**`, the rest of the other.
std::string example_path(const Template& a, const Template& b, std::string_view placeholder);

// A segment value no template's literal has, so that a more specific route the example
// path would meet by chance does not decide it.
std::string unused_literal(const std::vector<Template>& parsed);

// Whether `lost` names a segment (a literal) where `won` has a wildcard: the route
// that loses the paths both match is the more specific one there. Otherwise `won` is
// at least as specific on every segment of those paths, a carve-out, as where one
// template covers the other (`/sessions/admin/**` beside `/sessions/{id}`).
bool crosses(const Template& lost, const Template& won);

}  // namespace scopegate
