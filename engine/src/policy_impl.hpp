// Policy::Impl: the compiled policy's storage and its route trie. Private to engine/.
// Built once by PolicyBuilder, never modified afterwards.
//
// Layout: every text (names, templates, descriptions, messages, file names) is stored
// once in `text`; the public structures (Scope, Endpoint, Grant, ...) are views into it
// and into the flat pools below. The trie is flat arrays of small fixed-size records
// (nodes, literal edges, which a node with many keeps as a hash table, entries), so that
// decide() walks a few cache lines and the policy costs a few hundred bytes per route
// (bench/engine_bench.cpp reports it).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "condition_program.hpp"
#include "scopegate/policy.hpp"

namespace scopegate {

inline constexpr std::uint32_t no_index = UINT32_MAX;

// Append-only text storage: a string added once keeps its address for the store's life.
class TextStore {
 public:
  std::string_view add(std::string_view text);
  std::size_t memory_usage() const noexcept {
    return m_reserved + m_chunks.capacity() * sizeof(m_chunks[0]);
  }

 private:
  static constexpr std::size_t min_chunk = 512;
  static constexpr std::size_t max_chunk = 16 * 1024;
  std::vector<std::unique_ptr<char[]>> m_chunks;
  std::size_t m_left = 0;  // free bytes in the last chunk
  char* m_next = nullptr;
  std::size_t m_reserved = 0;
};

// The first (up to) 8 bytes of a segment, zero-padded, as the word they make in memory.
// Neither a request segment nor a literal holds a NUL byte, so two segments of at most
// 8 bytes are equal exactly when their heads and sizes are.
inline std::uint64_t segment_head(const char* data, std::size_t size) noexcept {
  std::array<char, 8> bytes{};
  std::copy_n(data, std::min<std::size_t>(size, bytes.size()), bytes.begin());
  return std::bit_cast<std::uint64_t>(bytes);
}

// The same, for a segment followed by enough bytes to read 8 from its start: one load
// and a mask that keeps its first `size` bytes.
inline std::uint64_t segment_head_in_place(const char* data, std::size_t size) noexcept {
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
// TrieNode); smaller ones are scanned in order, which is faster than hashing at this
// size (the shipped policy's /api/v1 node, with 11 literals, is scanned).
inline constexpr std::size_t linear_scan_limit = 16;

// log2 of the size of the hash table of a node with `edge_count` (> linear_scan_limit)
// literal children: the power of two at or above twice its children, so that at least
// half of the slots are empty and every probe sequence ends.
inline unsigned edge_table_bits(std::size_t edge_count) noexcept {
  return static_cast<unsigned>(std::bit_width(2 * edge_count - 1));
}

// How many edges a node with `edge_count` literal children takes in Impl::edges: one
// each when they are scanned, its whole table when they are hashed (see TrieNode).
inline std::size_t edge_slot_count(std::size_t edge_count) noexcept {
  return edge_count <= linear_scan_limit ? edge_count
                                         : std::size_t{1} << edge_table_bits(edge_count);
}

// The home slot of a segment (`size` bytes at `text`, its head as segment_head() gives
// it) in a table of 2^bits slots: multiply-shift over its head, its size and, past 8
// bytes, its last 8 bytes, so that literals sharing their first 8 bytes and their size
// (`billing-accounts`, `billing-clusters`) still spread. The one hash for the builder's
// literals and decide()'s request segments.
inline std::size_t edge_slot(std::uint64_t head, const char* text, std::size_t size,
                             unsigned bits) noexcept {
  std::uint64_t last = 0;
  if (size > 8) std::memcpy(&last, text + size - 8, sizeof(last));
  const std::uint64_t mixed = head ^ std::rotl(last, 29) ^ size;
  return static_cast<std::size_t>((mixed * 0x9E3779B97F4A7C15U) >> (64 - bits));
}

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

// Which grants a principal counts: an API key those of plain scopes only, a user those
// of any scope but a future one (a future scope grants nothing yet). The one statement of
// the rule for decide(), the trie entries' copies and the refusal messages.
constexpr bool counts_for_key(ScopeKind kind) noexcept { return kind == ScopeKind::plain; }
constexpr bool counts_for_user(ScopeKind kind) noexcept { return kind != ScopeKind::future; }

// An endpoint ending at a node, with what decide() needs right after the match, so that
// a decision reads neither its Endpoint, nor its Scopes, nor (when its first grant
// decides) its Grant: on a large policy, each is a cache miss of its own. A node's
// entries are consecutive, one for each bit of its method_mask in method order:
// RouteSearch::accept() finds the one for a method by counting the bits below it.
struct TrieEntry {
  std::uint32_t endpoint = 0;
  std::uint32_t params_begin = 0;          // into Impl::params
  std::uint32_t forbids_begin = no_index;  // into Impl::forbid_links; no_index: none
  std::uint32_t grants_begin = 0;          // the endpoint's grants: Impl::grants from here
  std::uint32_t grant_count = 0;
  ScopeId first_scope = 0;  // the scope of Impl::grants[grants_begin], when grant_count > 0
  std::uint8_t param_count = 0;
  Access access = Access::scoped;  // the endpoint's
  std::uint8_t flags = 0;          // EntryFlag bits
};

// What decide() needs to know of an entry's first grant besides its scope, and whether
// any scope an API key may hold grants the endpoint.
enum EntryFlag : std::uint8_t {
  first_counts_for_key = 1U << 0,   // the first grant's scope is plain: a key may use it
  first_counts_for_user = 1U << 1,  // ... is not future: a user may use it
  first_has_condition = 1U << 2,    // ... has a `when`
  no_key_scope = 1U << 3,           // no plain scope grants it: api_key_not_supported
};

// For each `{name}` of an endpoint, in order: the name (an index into
// Impl::param_names) and its position among the one-segment wildcards (`{name}` and `*`).
// Endpoints whose templates bind the same names at the same places share their slots
// (most policies have a handful of such lists: `{id}`, `{id}` and `{member_id}`, ...), so
// the slots take little room and stay in cache.
struct ParamSlot {
  std::uint32_t name = 0;
  std::uint8_t wildcard = 0;

  friend auto operator<=>(const ParamSlot&, const ParamSlot&) = default;
};

// A forbid rule listed on an entry: the rule, and whether its template matches every
// path the endpoint's template matches (then decide() does not check the path again).
// An entry's links are consecutive; the last one says so.
struct ForbidLink {
  std::uint32_t rule = 0;  // into Impl::forbids
  bool covers = false;
  bool last = false;  // the entry's last link
};

// A `{name}` of a forbid rule's template: the name and the path segment it binds.
struct ForbidParam {
  std::string_view name;
  std::uint32_t segment = 0;
};

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

struct Policy::Impl {
  std::uint64_t id = 0;
  TextStore text;
  std::vector<Scope> scopes;
  std::vector<Endpoint> endpoints;
  std::vector<Role> roles;
  std::vector<ForbidRule> forbids;
  ConditionProgram conditions;
  // Pools the views point into.
  std::vector<std::string_view> names;  // use cases, notes, granting scope names
  std::vector<ScopeId> scope_ids;       // implies, closures and role lists
  std::vector<Grant> grants;
  std::vector<GrantCondition> grant_conditions;
  std::vector<Granting> grantings;
  // The route trie: nodes[0] is the root `/`.
  std::vector<TrieNode> nodes;
  std::vector<TrieEdge> edges;  // by node; a hashed node's are its table, empty slots and all
  std::vector<TrieEntry> entries;
  std::vector<ParamSlot> params;
  // Every distinct parameter name once (in `text`): decide() binds names from here, not
  // from the endpoint's template, so an allowed request does not read its Endpoint.
  std::vector<std::string_view> param_names;
  std::vector<ForbidLink> forbid_links;
  // The parameters of forbids[k] are forbid_params[forbid_params_begin[k]] up to
  // forbid_params[forbid_params_begin[k + 1]].
  std::vector<ForbidParam> forbid_params;
  std::vector<std::uint32_t> forbid_params_begin;
  // Indexes into scopes and roles sorted by name, for find_scope() and find_role().
  std::vector<ScopeId> scope_index;
  std::vector<std::uint32_t> role_index;
  // The Allow header for every set of methods, by method mask: "GET, POST".
  std::array<std::string_view, 1U << method_count> allow_headers;
};

}  // namespace scopegate
