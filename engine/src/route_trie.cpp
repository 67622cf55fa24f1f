#include "route_trie.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>

namespace scopegate {
namespace {

// The first (up to) 8 bytes of a segment, zero-padded, as the word they make in memory.
// Neither a request segment nor a literal holds a NUL byte, so two segments of at most
// 8 bytes are equal exactly when their heads and sizes are.
std::uint64_t segment_head(const char* data, std::size_t size) noexcept {
  std::array<char, 8> bytes{};
  std::copy_n(data, std::min<std::size_t>(size, bytes.size()), bytes.begin());
  return std::bit_cast<std::uint64_t>(bytes);
}

// The same, for a segment followed by enough bytes to read 8 from its start: one load
// and a mask that keeps its first `size` bytes.
std::uint64_t segment_head_in_place(const char* data, std::size_t size) noexcept {
  static constexpr std::array<std::uint64_t, 8> masks = [] {
    std::array<std::uint64_t, 8> out{};
    for (std::size_t kept = 0; kept < out.size(); ++kept) {
      std::array<unsigned char, 8> bytes{};
      std::fill_n(bytes.begin(), kept, 0xff);
      out[kept] = std::bit_cast<std::uint64_t>(bytes);
    }
    return out;
  }();
  std::uint64_t word = 0;
  std::memcpy(&word, data, sizeof(word));
  return size < masks.size() ? word & masks[size] : word;
}

// Nodes with more literal children than this keep their edges in a hash table (see
// TrieNode); smaller ones are scanned in order, which is faster than hashing at this size.
constexpr std::size_t linear_scan_limit = 16;

// log2 of the size of the hash table of a node with `edge_count` (> linear_scan_limit)
// literal children: the power of two at or above twice its children, so that at least
// half of the slots are empty and every probe sequence ends.
unsigned edge_table_bits(std::size_t edge_count) noexcept {
  return static_cast<unsigned>(std::bit_width(2 * edge_count - 1));
}

// How many edges a node with `edge_count` literal children takes in RouteTrie::m_edges: one
// each when they are scanned, its whole table when they are hashed (see TrieNode).
std::size_t edge_slot_count(std::size_t edge_count) noexcept {
  return edge_count <= linear_scan_limit ? edge_count
                                         : std::size_t{1} << edge_table_bits(edge_count);
}

// The home slot of a segment (`size` bytes at `text`, its head as segment_head() gives
// it) in a table of 2^bits slots: multiply-shift over its head, its size and, past 8
// bytes, its last 8 bytes, so that literals sharing their first 8 bytes and their size
// (`billing-accounts`, `billing-clusters`) still spread. The one hash for the builder's
// literals and decide()'s request segments.
std::size_t edge_slot(std::uint64_t head, const char* text, std::size_t size,
                      unsigned bits) noexcept {
  std::uint64_t last = 0;
  if (size > 8) std::memcpy(&last, text + size - 8, sizeof(last));
  const std::uint64_t mixed = head ^ std::rotl(last, 29) ^ size;
  return static_cast<std::size_t>((mixed * 0x9E3779B97F4A7C15U) >> (64 - bits));
}

// A request segment as the literal lookups compare it: where it is and its head (see
// segment_head()).
struct SegmentKey {
  const char* data;
  std::size_t size;
  std::uint64_t head;
};

// Segment `i` of `path` as a key; its head read in place unless that would read past the
// end of `path.path` (a view into the caller's text).
SegmentKey key_of(const PathSegments& path, std::size_t i) noexcept {
  const char* data = path.path.data() + path.begin[i];
  const std::size_t size = path.end[i] - path.begin[i];
  const bool in_place = path.begin[i] + 8 <= path.path.size();
  return {data, size, in_place ? segment_head_in_place(data, size) : segment_head(data, size)};
}

std::uint64_t load_word(const char* bytes) noexcept {
  std::uint64_t word = 0;
  std::memcpy(&word, bytes, 8);
  return word;
}

// Are the bytes after the first 8 equal? Both have `size` > 8 bytes: compared a word at a
// time, the last word ending at the last byte (it may overlap the one before).
bool same_tail(const char* a, const char* b, std::size_t size) noexcept {
  for (std::size_t at = 8; at + 8 < size; at += 8) {
    if (load_word(a + at) != load_word(b + at)) return false;
  }
  return load_word(a + size - 8) == load_word(b + size - 8);
}

// Is `edge` the literal `key` spells? Heads and sizes first, bytes past the first 8
// only for a head that matches (see segment_head()).
bool same_literal(const TrieEdge& edge, const SegmentKey& key) noexcept {
  return edge.head == key.head && edge.size == key.size &&
         (key.size <= 8 || same_tail(key.data, edge.text, key.size));
}

// The literal edge equal to `key` among a small node's edges, or null.
const TrieEdge* scan_literals(const TrieEdge* edges, std::size_t count,
                              const SegmentKey& key) noexcept {
  for (const TrieEdge* edge = edges; edge != edges + count; ++edge) {
    if (same_literal(*edge, key)) return edge;
  }
  return nullptr;
}

// The same for a node with more than linear_scan_limit edges, in its hash table (see
// TrieNode): linear probing from the key's home slot to the first empty one, which a
// key (never empty) cannot match.
const TrieEdge* find_hashed_literal(const TrieEdge* table, std::size_t count,
                                    const SegmentKey& key) noexcept {
  const unsigned bits = edge_table_bits(count);
  const std::size_t mask = (std::size_t{1} << bits) - 1;
  for (std::size_t slot = edge_slot(key.head, key.data, key.size, bits);;
       slot = (slot + 1) & mask) {
    const TrieEdge& edge = table[slot];
    if (same_literal(edge, key)) return &edge;
    if (edge.size == 0) return nullptr;
  }
}

// A segment with a `%` matches the literal its decoded bytes spell: compared one by one
// (a hashed node's table, empty slots and all).
const TrieEdge* find_encoded_literal(const TrieEdge* edges, std::size_t count,
                                     std::string_view segment) noexcept {
  const std::size_t slots = edge_slot_count(count);
  for (std::size_t i = 0; i < slots; ++i) {
    if (edges[i].size != 0 && compare_segment(segment, edges[i].view()) == 0) return &edges[i];
  }
  return nullptr;
}

// The number of bits set in each method mask (std::popcount without the POPCNT
// instruction, which the x86-64 baseline does not have, is a call).
constexpr auto method_bit_counts = [] {
  std::array<std::uint8_t, 1U << method_count> counts{};
  for (unsigned mask = 0; mask < counts.size(); ++mask) {
    counts[mask] = static_cast<std::uint8_t>(std::popcount(mask));
  }
  return counts;
}();

// The route search for one request; lives on find()'s stack. Depth first: at each node
// the literal child, then the single-segment wildcard (`{param}` or `*`), then `**`.
// The walk follows literal children in a loop and remembers each node passed that has a
// wildcard child, to come back to it when the literal path dead-ends.
class RouteSearch {
 public:
  RouteSearch(const TrieNode* nodes, const TrieEdge* edges, const PathSegments& path, Method method,
              RouteMatch& match) noexcept
      : m_nodes(nodes),
        m_edges(edges),
        m_path(path),
        m_method_slot(static_cast<std::size_t>(method)),
        m_method_bit(m_method_slot < any_slot ? 1U << m_method_slot : 0U),
        m_match(match) {}

  // The entry for the request, or no_index (see RouteMatch).
  std::uint32_t run() noexcept {
    std::uint32_t index = 0;
    std::size_t depth = 0;
    Literals literals{m_nodes[0].edges_begin, m_nodes[0].edge_count};
    while (true) {
      // Down the literal children as far as they match. The next edges come from the
      // edge taken, so that the node itself is only needed for its branches.
      while (true) {
        const TrieNode& node = m_nodes[index];
        if (depth == m_path.size) {
          if (const std::uint32_t entry = accept(node); entry != no_index) return entry;
          if (node.rest != no_index) {
            if (const std::uint32_t entry = accept(m_nodes[node.rest]); entry != no_index) {
              return entry;
            }
          }
          break;
        }
        if (node.has_wildcard) {
          m_frames[m_frame_count++] = {index, static_cast<std::uint8_t>(depth), m_captured_count,
                                       false};
        }
        if (literals.count == 0) break;
        const TrieEdge* const edge = literal_edge(literals, depth);
        if (edge == nullptr) break;
        index = edge->child;
        literals = {edge->next_edges_begin, edge->next_edges & ~through_single};
        ++depth;
        if ((edge->next_edges & through_single) != 0 && depth != m_path.size) {
          // The child has no literal children: remembered as the branch loop below would
          // remember it, and its wildcard child taken at once (see TrieEdge).
          m_frames[m_frame_count++] = {index, static_cast<std::uint8_t>(depth), m_captured_count,
                                       true};
          m_match.captured[m_captured_count++] = static_cast<std::uint8_t>(depth);
          ++index;
          ++depth;
        }
      }
      // Back to the deepest remembered node with an alternative left.
      while (true) {
        if (m_frame_count == 0) return no_index;
        Frame& frame = m_frames[m_frame_count - 1];
        const TrieNode& node = m_nodes[frame.node];
        if (!frame.single_tried && node.has_single) {
          frame.single_tried = true;
          m_captured_count = frame.captured_count;
          m_match.captured[m_captured_count++] = frame.depth;
          index = frame.node + 1;
          literals = {m_nodes[index].edges_begin, m_nodes[index].edge_count};
          depth = frame.depth + std::size_t{1};
          break;
        }
        --m_frame_count;
        if (node.rest != no_index) {
          if (const std::uint32_t entry = accept(m_nodes[node.rest]); entry != no_index) {
            return entry;
          }
        }
      }
    }
  }

 private:
  static constexpr auto any_slot = static_cast<std::size_t>(Method::any);

  // A node passed on the way down that has a `{param}`/`*` or `**` child.
  struct Frame {
    std::uint32_t node;
    std::uint8_t depth;
    std::uint8_t captured_count;  // wildcards bound above this node
    bool single_tried;
  };

  // A node's literal children: TrieNode::edges_begin and edge_count.
  struct Literals {
    std::uint32_t begin;
    std::uint32_t count;
  };

  // The literal edge that segment `depth` of the path takes, or null.
  const TrieEdge* literal_edge(Literals literals, std::size_t depth) const noexcept {
    const TrieEdge* edges = m_edges + literals.begin;
    if (m_path.encoded(depth))
      return find_encoded_literal(edges, literals.count, m_path.segment(depth));
    const SegmentKey key = key_of(m_path, depth);
    if (literals.count <= linear_scan_limit) return scan_literals(edges, literals.count, key);
    return find_hashed_literal(edges, literals.count, key);
  }

  // Terminal check for the request's method (exact method first, then `*`); collects
  // the methods of a node that matches the path but not the method. The entry wanted
  // is found by counting the mask's bits below it (see TrieNode): the entries
  // themselves, which may lie on other cache lines, are not read.
  std::uint32_t accept(const TrieNode& node) noexcept {
    const unsigned mask = node.method_mask;
    if (mask == 0) return no_index;
    std::size_t wanted = any_slot;
    if ((mask & m_method_bit) != 0) {
      wanted = m_method_slot;
    } else if ((mask >> any_slot & 1U) == 0) {
      m_match.path_methods |= node.method_mask;
      return no_index;
    }
    return node.entries_begin + method_bit_counts[mask & ((1U << wanted) - 1U)];
  }

  const TrieNode* m_nodes;
  const TrieEdge* m_edges;
  const PathSegments& m_path;
  std::size_t m_method_slot;
  unsigned m_method_bit;  // 1 << the request's Method; 0 for `*` or one not named
  RouteMatch& m_match;    // captured wildcards and path_methods are written here
  std::uint8_t m_captured_count = 0;
  std::size_t m_frame_count = 0;
  std::array<Frame, max_path_segments> m_frames;
};

}  // namespace

RouteMatch RouteTrie::find(const PathSegments& path, Method method) const noexcept {
  RouteMatch match;
  match.entry = RouteSearch(m_nodes.data(), m_edges.data(), path, method, match).run();
  return match;
}

std::size_t RouteTrie::memory_usage() const noexcept {
  return m_nodes.capacity() * sizeof(TrieNode) + m_edges.capacity() * sizeof(TrieEdge);
}

RouteTrieBuilder::RouteTrieBuilder() : m_nodes(1) {}

void RouteTrieBuilder::add(const Template& parsed, Method method, std::uint32_t endpoint) {
  std::uint32_t node = 0;
  for (const Segment& segment : parsed.segments) {
    const auto fresh = static_cast<std::uint32_t>(m_nodes.size());
    WorkNode& work = m_nodes[node];
    switch (segment.kind) {
      case SegmentKind::literal:
        node = work.literals.try_emplace(segment.text, fresh).first->second;
        break;
      case SegmentKind::param:
      case SegmentKind::any:
        if (work.single == no_index) work.single = fresh;
        node = work.single;
        break;
      case SegmentKind::rest:
        if (work.rest == no_index) work.rest = fresh;
        node = work.rest;
        break;
    }
    if (node == fresh) m_nodes.emplace_back();
  }
  m_nodes[node].by_method[static_cast<std::size_t>(method)] = endpoint;
}

void RouteTrieBuilder::collect_covered(const Template& parsed,
                                       std::vector<std::uint32_t>& out) const {
  collect_covered(0, parsed, 0, out);
}

// Every endpoint whose template `parsed` covers, from segment `depth` on at `node`.
void RouteTrieBuilder::collect_covered(std::uint32_t node, const Template& parsed,
                                       std::size_t depth, std::vector<std::uint32_t>& out) const {
  const WorkNode& n = m_nodes[node];
  if (depth == parsed.segments.size()) {
    for (const std::uint32_t e : n.by_method) {
      if (e != no_index) out.push_back(e);
    }
    return;
  }
  const Segment& segment = parsed.segments[depth];
  switch (segment.kind) {
    case SegmentKind::literal:
      if (const auto found = n.literals.find(segment.text); found != n.literals.end()) {
        collect_covered(found->second, parsed, depth + 1, out);
      }
      break;
    case SegmentKind::param:
    case SegmentKind::any:
      for (const auto& [text, child] : n.literals) collect_covered(child, parsed, depth + 1, out);
      if (n.single != no_index) collect_covered(n.single, parsed, depth + 1, out);
      break;
    case SegmentKind::rest:
      collect_subtree(node, out);
      break;
  }
}

// Every endpoint in the subtree under `node`, `**` children included.
void RouteTrieBuilder::collect_subtree(std::uint32_t node, std::vector<std::uint32_t>& out) const {
  const WorkNode& n = m_nodes[node];
  for (const std::uint32_t e : n.by_method) {
    if (e != no_index) out.push_back(e);
  }
  for (const auto& [text, child] : n.literals) collect_subtree(child, out);
  if (n.single != no_index) collect_subtree(n.single, out);
  if (n.rest != no_index) collect_subtree(n.rest, out);
}

// The frozen order of the work nodes (frozen index -> work index): depth first from the
// root, each node's single-segment wildcard child right after it (find() goes to it at
// the node's index + 1), then its literal children's subtrees, then its `**` child's.
std::vector<std::uint32_t> RouteTrieBuilder::frozen_order() const {
  std::vector<std::uint32_t> order;
  order.reserve(m_nodes.size());
  std::vector<std::uint32_t> pending{0};
  while (!pending.empty()) {
    const std::uint32_t n = pending.back();
    pending.pop_back();
    order.push_back(n);
    const WorkNode& work = m_nodes[n];
    if (work.rest != no_index) pending.push_back(work.rest);
    for (auto it = work.literals.rbegin(); it != work.literals.rend(); ++it) {
      pending.push_back(it->second);
    }
    if (work.single != no_index) pending.push_back(work.single);
  }
  return order;
}

RouteTrie RouteTrieBuilder::freeze(const std::function<std::string_view(std::string_view)>& intern,
                                   std::vector<std::uint32_t>& entry_endpoints) const {
  RouteTrie trie;
  std::size_t edge_count = 0;  // with the empty slots of hashed nodes' tables
  for (const WorkNode& node : m_nodes) edge_count += edge_slot_count(node.literals.size());
  const std::vector<std::uint32_t> order = frozen_order();
  std::vector<std::uint32_t> frozen(m_nodes.size());  // work index -> frozen index
  for (std::uint32_t f = 0; f < order.size(); ++f) frozen[order[f]] = f;
  trie.m_nodes.reserve(m_nodes.size());
  trie.m_edges.reserve(edge_count);
  entry_endpoints.clear();
  for (std::uint32_t f = 0; f < order.size(); ++f) {
    const WorkNode& work = m_nodes[order[f]];
    TrieNode node;
    node.edges_begin = static_cast<std::uint32_t>(trie.m_edges.size());
    node.edge_count = static_cast<std::uint32_t>(work.literals.size());
    const bool hashed = node.edge_count > linear_scan_limit;
    const unsigned bits = hashed ? edge_table_bits(node.edge_count) : 0;
    if (hashed) trie.m_edges.resize(trie.m_edges.size() + edge_slot_count(node.edge_count));
    for (const auto& [text, child] : work.literals) {
      const std::string_view stored = intern(text);
      TrieEdge edge;
      edge.head = segment_head(stored.data(), stored.size());
      edge.text = stored.data();
      edge.size = static_cast<std::uint32_t>(stored.size());
      edge.child = frozen[child];
      if (hashed) {
        TrieEdge* const table = trie.m_edges.data() + node.edges_begin;
        const std::size_t mask = (std::size_t{1} << bits) - 1;
        std::size_t slot = edge_slot(edge.head, edge.text, edge.size, bits);
        while (table[slot].size != 0) slot = (slot + 1) & mask;
        table[slot] = edge;
      } else {
        trie.m_edges.push_back(edge);
      }
    }
    // The layout find() and TrieEdge::next_edges rely on: the single child right after.
    assert(work.single == no_index || frozen[work.single] == f + 1);
    node.has_single = work.single != no_index;
    if (work.rest != no_index) node.rest = frozen[work.rest];
    node.has_wildcard = work.single != no_index || work.rest != no_index;
    node.entries_begin = static_cast<std::uint32_t>(entry_endpoints.size());
    for (std::size_t m = 0; m < method_count; ++m) {
      const std::uint32_t e = work.by_method[m];
      if (e == no_index) continue;
      node.method_mask |= static_cast<std::uint8_t>(1U << m);
      entry_endpoints.push_back(e);
    }
    trie.m_nodes.push_back(node);
  }
  for (TrieEdge& edge : trie.m_edges) {
    if (edge.size == 0) continue;  // an empty slot of a hashed node's table
    const TrieNode& child = trie.m_nodes[edge.child];
    const bool skip = child.edge_count == 0 && child.has_single;
    const TrieNode& next = skip ? trie.m_nodes[edge.child + 1] : child;  // see TrieEdge
    assert(next.edge_count < through_single);
    edge.next_edges_begin = next.edges_begin;
    edge.next_edges = next.edge_count | (skip ? through_single : 0U);
  }
  return trie;
}

}  // namespace scopegate
