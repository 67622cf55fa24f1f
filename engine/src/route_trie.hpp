// RouteTrie: the routes of a compiled policy as a trie of path segments, and find(), the
// walk that takes a request's path and method to the entry of the endpoint it matches.
// RouteTrieBuilder collects the endpoints' templates while PolicyBuilder checks them,
// tells which endpoints a template covers, and lays the trie out as a RouteTrie. A
// RouteTrie never changes after that, so any number of threads may call find() at once;
// find() allocates nothing. Its literals' text is borrowed from the TextStore of the
// Policy::Impl that holds it. Private to engine/.
//
// Layout: flat arrays of small fixed-size records (nodes, and literal edges, which a node
// with many keeps as a hash table), so that find() walks a few cache lines.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string_view>
#include <vector>

#include "scopegate/method.hpp"
#include "scopegate/path.hpp"
#include "scopegate/template.hpp"

namespace scopegate {

inline constexpr std::uint32_t no_index = UINT32_MAX;

// A literal child: the segment text (in the TextStore), its first 8 bytes as
// segment_head() gives them, the node it leads to and the literal edges the walk tries
// next (copies of a node's edges_begin and edge_count): the walk goes from edge to edge
// without waiting for each node to load (the node load runs beside it, for its branches
// only). Those are the child's own literal children, or, when the child has none but a
// single-segment wildcard child (`/orders` with only `/orders/{id}` below it), that
// wildcard child's, flagged by through_single: a path that goes on past the child can
// only go on there, so the walk skips the child node.
struct TrieEdge {
  std::uint64_t head = 0;
  const char* text = nullptr;
  std::uint32_t size = 0;
  std::uint32_t child = 0;
  std::uint32_t next_edges_begin = 0;
  std::uint32_t next_edges = 0;  // their count, and the through_single bit

  std::string_view view() const noexcept { return {text, size}; }
};

// TrieEdge::next_edges: the next edges are those of the child's `{param}` or `*` child.
// (A count never reaches this bit: each literal child is a route of its own.)
inline constexpr std::uint32_t through_single = 1U << 31;

// One trie node: the path so far. Children are tried literal first, then the
// single-segment wildcard (`{param}` or `*`), then `**`. Nodes are in depth-first order
// with each node's single-segment wildcard child right after it: the node need not hold
// the child's index, and a `/{id}` node is most often on its parent's cache line. A node
// with more than linear_scan_limit literal children keeps its edges in a hash table of
// 2^edge_table_bits(edge_count) edges from edges_begin, each at its home slot
// (edge_slot()) or after it (linear probing); an empty slot is an edge of size 0 (no
// literal is empty). The lookup reads the edge it hashes to, with no index in between.
struct TrieNode {
  std::uint32_t edges_begin = 0;  // literal children
  std::uint32_t entries_begin = 0;
  std::uint32_t edge_count = 0;  // as many as there are routes: no narrower type holds them
  std::uint32_t rest = no_index;
  std::uint8_t method_mask = 0;  // bit m set: an endpoint for Method m ends here (its entry)
  bool has_single = false;       // a `{param}` or `*` child: the node right after this one
  bool has_wildcard = false;     // single or rest: decide() remembers the node on its way down
};

// The answer of RouteTrie::find().
struct RouteMatch {
  // The matched endpoint's entry: the index, in the entries the trie was frozen with
  // (see RouteTrieBuilder::freeze), of the endpoint for the request's method (or `*`)
  // at the node where the path ends; no_index when none matches.
  std::uint32_t entry = no_index;
  // No match: the methods (bit m for Method m) of every endpoint whose template matches
  // the path, for a 405 and its Allow header; 0 for a 404.
  std::uint8_t path_methods = 0;
  // A match: the path segment index of each one-segment wildcard (`{name}` or `*`) on
  // the matched template, in order.
  std::array<std::uint8_t, max_path_segments> captured;
};

class RouteTrie {
 public:
  // Depth first: at each node the literal child, then the single-segment wildcard, then
  // `**`. `method` is Method::any for a method no route line names (only `*` routes
  // accept it).
  RouteMatch find(const PathSegments& path, Method method) const noexcept;

  std::size_t memory_usage() const noexcept;

 private:
  friend class RouteTrieBuilder;

  std::vector<TrieNode> m_nodes;  // m_nodes[0] is the root `/`
  std::vector<TrieEdge> m_edges;  // by node; a hashed node's are its table, empty slots and all
};

// The trie while a policy is built: nodes that each list their children, in any order.
class RouteTrieBuilder {
 public:
  RouteTrieBuilder();

  // `endpoint` (an index the caller chooses) answers `method` at `parsed`. Each pair of
  // a method and a template shape is added once. The literals' text is borrowed from
  // `parsed` until freeze().
  void add(const Template& parsed, Method method, std::uint32_t endpoint);

  // Every endpoint whose template `parsed` covers (see scopegate::covers), each once,
  // appended to `out`.
  void collect_covered(const Template& parsed, std::vector<std::uint32_t>& out) const;

  // Lays the trie out. `intern` stores a literal's text for as long as the RouteTrie
  // lives. `entry_endpoints` becomes the endpoint of each entry, in the order
  // RouteMatch::entry counts them.
  RouteTrie freeze(const std::function<std::string_view(std::string_view)>& intern,
                   std::vector<std::uint32_t>& entry_endpoints) const;

 private:
  // The order of a node's literal children: by size, then bytes.
  struct LiteralOrder {
    bool operator()(std::string_view a, std::string_view b) const noexcept {
      return a.size() != b.size() ? a.size() < b.size() : a < b;
    }
  };

  struct WorkNode {
    std::map<std::string_view, std::uint32_t, LiteralOrder> literals;  // text -> child
    std::uint32_t single = no_index;
    std::uint32_t rest = no_index;
    std::array<std::uint32_t, method_count> by_method;

    WorkNode() { by_method.fill(no_index); }
  };

  void collect_subtree(std::uint32_t node, std::vector<std::uint32_t>& out) const;
  void collect_covered(std::uint32_t node, const Template& parsed, std::size_t depth,
                       std::vector<std::uint32_t>& out) const;
  std::vector<std::uint32_t> frozen_order() const;

  std::vector<WorkNode> m_nodes;  // m_nodes[0] is the root
};

}  // namespace scopegate
