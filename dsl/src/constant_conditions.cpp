#include "constant_conditions.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "acknowledge.hpp"
#include "node_kinds.hpp"

namespace scopegate {

namespace {

using Int = std::int64_t;
constexpr Int min_int = std::numeric_limits<Int>::min();
constexpr Int max_int = std::numeric_limits<Int>::max();

// `attribute OP literal`, the attribute on the left (`5 < x` is read as `x > 5`).
struct Comparison {
  const ConditionSpec* node = nullptr;
  std::string attribute;  // as written; a header name lower-cased
  AttributeInfo info;
  CompareOp op = CompareOp::eq;
  bool in = false;
  const ConditionSpec* literal = nullptr;
};

CompareOp flipped(CompareOp op) {
  switch (op) {
    case CompareOp::lt:
      return CompareOp::gt;
    case CompareOp::le:
      return CompareOp::ge;
    case CompareOp::gt:
      return CompareOp::lt;
    case CompareOp::ge:
      return CompareOp::le;
    default:
      return op;
  }
}

std::optional<Comparison> comparison_of(const ConditionSpec& node) {
  if ((node.kind != ConditionKind::compare && node.kind != ConditionKind::in) ||
      node.children.size() != 2) {
    return std::nullopt;
  }
  const ConditionSpec* attribute = &node.children[0];
  const ConditionSpec* literal = &node.children[1];
  CompareOp op = node.op;
  if (node.kind == ConditionKind::compare && literal->kind == ConditionKind::attribute) {
    std::swap(attribute, literal);
    op = flipped(op);
  }
  if (attribute->kind != ConditionKind::attribute || literal->kind == ConditionKind::attribute)
    return std::nullopt;
  const auto info = find_attribute(attribute->text);
  if (!info) return std::nullopt;
  std::string name = attribute->text;
  if (info->attribute == Attribute::request_header) {
    std::transform(name.begin(), name.end(), name.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
  }
  return Comparison{&node, std::move(name), *info, op, node.kind == ConditionKind::in, literal};
}

// Whether the attribute has a value on every request (else a comparison with it is
// false when it is missing, and an `or` that covers every value is still false then).
bool never_missing(Attribute attribute) {
  switch (attribute) {
    case Attribute::request_method:
    case Attribute::request_path:
    case Attribute::request_param:
    case Attribute::principal_kind:
    case Attribute::principal_scopes:
    case Attribute::principal_allowed_cidrs:
      return true;
    default:
      return false;
  }
}

// The integer a comparison reads (an integer literal, or a timestamp for request.time).
std::optional<Int> number_of(const Comparison& c) {
  if (c.in) return std::nullopt;
  if (c.literal->kind == ConditionKind::integer_literal) return c.literal->integer;
  if (c.info.type == ValueType::time && c.literal->kind == ConditionKind::string_literal) {
    return parse_timestamp(c.literal->text);
  }
  return std::nullopt;
}

// The strings a comparison of a string attribute admits (`==`, `in`), or excludes (`!=`).
std::optional<std::set<std::string>> strings_of(const Comparison& c) {
  if (c.info.type != ValueType::string) return std::nullopt;
  std::set<std::string> out;
  if (c.in && c.literal->kind == ConditionKind::list_literal) {
    for (const ConditionSpec& item : c.literal->children) {
      if (item.kind != ConditionKind::string_literal) return std::nullopt;
      out.insert(item.text);
    }
    return out;
  }
  if (c.in || c.literal->kind != ConditionKind::string_literal) return std::nullopt;
  if (c.op != CompareOp::eq && c.op != CompareOp::ne) return std::nullopt;
  out.insert(c.literal->text);
  return out;
}

// The ranges an address comparison admits (`==` an address, `in` ranges); not `!=`.
std::optional<std::vector<Cidr>> ranges_of(const Comparison& c) {
  if (c.info.type != ValueType::ip || (!c.in && c.op != CompareOp::eq)) return std::nullopt;
  std::vector<const ConditionSpec*> items;
  if (c.literal->kind == ConditionKind::list_literal) {
    for (const ConditionSpec& item : c.literal->children) items.push_back(&item);
  } else {
    items.push_back(c.literal);
  }
  std::vector<Cidr> out;
  for (const ConditionSpec* item : items) {
    if (item->kind != ConditionKind::ip_literal && item->kind != ConditionKind::cidr_literal)
      return std::nullopt;
    const auto range = parse_cidr(item->text);
    if (!range) return std::nullopt;
    out.push_back(*range);
  }
  return out;
}

bool within(const Cidr& inner, const Cidr& outer) {
  return outer.prefix <= inner.prefix && outer.contains(inner.network);
}

// The values one attribute may still have after the comparisons of an `and` seen so far.
class Narrowing {
 public:
  // Adds a comparison; false when no value is left (a contradiction).
  bool add(const Comparison& c) {
    if (const auto value = number_of(c)) return add_number(c, *value);
    if (const auto values = strings_of(c)) return add_strings(c, *values);
    if (const auto ranges = ranges_of(c)) return add_ranges(c, *ranges);
    return true;
  }
  // After a contradiction: the one comparison that contradicts the last one added, when
  // the two alone leave no value (else null: it takes more of them).
  const ConditionSpec* other() const { return m_other; }

 private:
  bool add_number(const Comparison& c, Int v) {
    Int lo = m_lo.value_or(min_int);
    Int hi = m_hi.value_or(max_int);
    if ((c.op == CompareOp::lt && v == min_int) || (c.op == CompareOp::gt && v == max_int)) {
      return fail(nullptr);
    }
    if (c.op == CompareOp::eq || c.op == CompareOp::gt || c.op == CompareOp::ge) {
      const Int bound = c.op == CompareOp::gt ? v + 1 : v;
      if (bound > lo || !m_lo) m_lo_by = c.node;
      lo = std::max(lo, bound);
      m_lo = lo;
    }
    if (c.op == CompareOp::eq || c.op == CompareOp::lt || c.op == CompareOp::le) {
      const Int bound = c.op == CompareOp::lt ? v - 1 : v;
      if (bound < hi || !m_hi) m_hi_by = c.node;
      hi = std::min(hi, bound);
      m_hi = hi;
    }
    if (c.op == CompareOp::ne) m_excluded.emplace(v, c.node);
    if (lo > hi) return fail(m_lo_by == c.node ? m_hi_by : m_lo_by);
    const auto excluded = m_excluded.find(lo);
    if (lo == hi && excluded != m_excluded.end()) {
      if (c.op == CompareOp::ne) return fail(m_lo_by == m_hi_by ? m_lo_by : nullptr);
      return fail(m_lo_by == m_hi_by ? excluded->second : nullptr);
    }
    return true;
  }

  bool add_strings(const Comparison& c, const std::set<std::string>& values) {
    // An attribute with a closed set of values (principal.kind) starts with that set.
    const auto closed = closed_values(c.info.attribute);
    if (!m_strings && !closed.empty()) m_strings.emplace(closed.begin(), closed.end());
    if (c.op == CompareOp::ne && !c.in) {
      m_excluded_strings.emplace(*values.begin(), c.node);
    } else {
      std::set<std::string> both;
      if (m_strings) {
        std::set_intersection(m_strings->begin(), m_strings->end(), values.begin(), values.end(),
                              std::inserter(both, both.end()));
      } else {
        both = values;
      }
      m_strings = std::move(both);
      narrowed(c.node);
    }
    if (!m_strings) return true;
    for (const std::string& value : *m_strings) {
      if (m_excluded_strings.count(value) == 0) return true;
    }
    if (m_strings->empty()) return fail(m_narrowings == 2 ? m_previous : nullptr);
    // Every value left is excluded by a `!=`: a pair when one value and one narrowing.
    const bool pair = m_strings->size() == 1 && m_narrowings == 1;
    if (c.op == CompareOp::ne && !c.in) return fail(pair ? m_latest : nullptr);
    return fail(pair ? m_excluded_strings.at(*m_strings->begin()) : nullptr);
  }

  bool add_ranges(const Comparison& c, const std::vector<Cidr>& ranges) {
    std::vector<Cidr> both;
    if (m_ranges) {
      for (const Cidr& a : *m_ranges) {
        for (const Cidr& b : ranges) {
          if (within(a, b)) {
            both.push_back(a);
          } else if (within(b, a)) {
            both.push_back(b);
          }
        }
      }
    } else {
      both = ranges;
    }
    m_ranges = std::move(both);
    narrowed(c.node);
    if (m_ranges->empty()) return fail(m_narrowings == 2 ? m_previous : nullptr);
    return true;
  }

  void narrowed(const ConditionSpec* by) {
    m_previous = m_latest;
    m_latest = by;
    ++m_narrowings;
  }

  bool fail(const ConditionSpec* other) {
    m_other = other;
    return false;
  }

  std::optional<Int> m_lo, m_hi;  // numbers: lo <= x <= hi
  const ConditionSpec* m_lo_by = nullptr;
  const ConditionSpec* m_hi_by = nullptr;
  std::map<Int, const ConditionSpec*> m_excluded;
  std::optional<std::set<std::string>> m_strings;  // strings: one of these
  std::map<std::string, const ConditionSpec*> m_excluded_strings;
  std::optional<std::vector<Cidr>> m_ranges;  // addresses: in one of these
  const ConditionSpec* m_latest = nullptr;    // the last `==`/`in` of strings or addresses
  const ConditionSpec* m_previous = nullptr;  // the one before it
  std::size_t m_narrowings = 0;
  const ConditionSpec* m_other = nullptr;
};

// For an `or`: the comparisons of one attribute that, between them, hold for every
// value; the two that do (a `!=` and another `!=` or `==`, or a `<` and a `>`).
std::optional<std::pair<const ConditionSpec*, const ConditionSpec*>> covering(
    const std::vector<Comparison>& comparisons) {
  std::map<std::string, const ConditionSpec*> excluded, admitted;
  std::optional<std::pair<Int, const ConditionSpec*>> up, down;  // x <= up, x >= down
  std::map<Int, const ConditionSpec*> unequal, equal;
  for (const Comparison& c : comparisons) {
    // A query, header or parameter value read as an integer may be no integer at all,
    // and then meets no comparison: only times are reasoned about here.
    const auto value = c.info.type == ValueType::time ? number_of(c) : std::nullopt;
    if (value) {
      const Int v = *value;
      if (c.op == CompareOp::ne) unequal.emplace(v, c.node);
      if (c.op == CompareOp::eq) equal.emplace(v, c.node);
      if ((c.op == CompareOp::lt && v != min_int) || c.op == CompareOp::le) {
        const Int top = c.op == CompareOp::lt ? v - 1 : v;
        if (!up || top > up->first) up = {top, c.node};
      }
      if ((c.op == CompareOp::gt && v != max_int) || c.op == CompareOp::ge) {
        const Int bottom = c.op == CompareOp::gt ? v + 1 : v;
        if (!down || bottom < down->first) down = {bottom, c.node};
      }
    } else if (const auto values = strings_of(c)) {
      for (const std::string& value : *values) {
        (c.op == CompareOp::ne && !c.in ? excluded : admitted).emplace(value, c.node);
      }
    }
  }
  if (excluded.size() >= 2) return std::pair(excluded.begin()->second, excluded.rbegin()->second);
  // Every value of a closed set (principal.kind) admitted.
  const auto closed = comparisons.empty() ? std::span<const std::string_view>()
                                          : closed_values(comparisons.front().info.attribute);
  const bool all_closed =
      !closed.empty() && std::all_of(closed.begin(), closed.end(), [&](std::string_view value) {
        return admitted.count(std::string(value)) != 0;
      });
  // No pair suffices: the first is null, the second the last comparison.
  if (all_closed) return std::pair(nullptr, comparisons.back().node);
  if (excluded.size() == 1 && admitted.count(excluded.begin()->first) != 0) {
    return std::pair(excluded.begin()->second, admitted.at(excluded.begin()->first));
  }
  if (unequal.size() >= 2) return std::pair(unequal.begin()->second, unequal.rbegin()->second);
  for (const auto& [v, node] : unequal) {
    if (equal.count(v) != 0) return std::pair(node, equal.at(v));
    if (up && v <= up->first) return std::pair(node, up->second);
    if (down && v >= down->first) return std::pair(node, down->second);
  }
  if (up && down && (up->first == max_int || up->first + 1 >= down->first)) {
    return std::pair(up->second, down->second);
  }
  return std::nullopt;
}

// What the place of a condition says of the requests it is judged for: the method of
// its route or forbid rule, and the kinds of caller a scope's grant is judged for.
struct Place {
  Span line;                            // the route or forbid line
  std::string_view what;                // "route", "forbid rule"
  std::optional<std::string> method;    // none for `*`
  std::vector<std::string_view> kinds;  // empty: any kind
  std::string kinds_why;                // why only those kinds
};

class Finder {
 public:
  Diagnostics run(const Model& model) {
    for (const RouteEntry& route : model.routes) {
      if (!route.spec.condition) continue;
      walk(*route.spec.condition, route.condition_nodes, ConditionKind::not_);
      Place place{route.line, "route", method_of(route.spec.method), {}, {}};
      if (route.scope_kind == ScopeKind::plain) {
        place.kinds = {"api_key", "user"};
        place.kinds_why =
            "a scope's grant is judged only for an API key or a signed-in user: an anonymous "
            "caller holds no scope";
      } else if (route.scope_kind == ScopeKind::user) {
        place.kinds = {"user"};
        place.kinds_why =
            "a user scope's grant is judged only for a signed-in user: API keys never hold it "
            "and an anonymous caller holds no scope";
      }
      contradicts_place(*route.spec.condition, route.condition_nodes, place);
    }
    for (const ForbidEntry& forbid : model.forbids) {
      if (!forbid.spec.condition) continue;
      walk(*forbid.spec.condition, forbid.condition_nodes, ConditionKind::not_);
      contradicts_place(*forbid.spec.condition, forbid.condition_nodes,
                        {forbid.line, "forbid rule", method_of(forbid.spec.method), {}, {}});
    }
    return std::move(m_out);
  }

 private:
  static std::optional<std::string> method_of(Method method) {
    if (method == Method::any) return std::nullopt;
    return std::string(to_string(method));
  }

  // A comparison the whole condition needs (the condition itself, or a term of its
  // top `and`) that no request judged at this place meets: a method other than the
  // route's own, a kind of caller the grant is never judged for.
  void contradicts_place(const ConditionSpec& root, const std::vector<Span>& spans,
                         const Place& place) {
    std::vector<const ConditionSpec*> terms;
    flatten(root, ConditionKind::and_, terms);
    for (const ConditionSpec* term : terms) {
      const auto c = comparison_of(*term);
      if (!c) continue;
      const auto values = strings_of(*c);
      if (!values) continue;
      std::vector<std::string_view> possible;
      std::string why;
      if (c->info.attribute == Attribute::request_method && place.method) {
        possible = {*place.method};
        why = fmt::format("this {} takes only {} requests", place.what, *place.method);
      } else if (c->info.attribute == Attribute::principal_kind && !place.kinds.empty()) {
        possible = place.kinds;
        why = place.kinds_why;
      } else {
        continue;
      }
      const bool excluding = c->op == CompareOp::ne && !c->in;
      const bool meets = std::any_of(possible.begin(), possible.end(), [&](std::string_view v) {
        return (values->count(std::string(v)) != 0) != excluding;
      });
      if (meets) continue;
      const std::string written = text_of(*term, spans);
      Diagnostic d = warning(span_of(*term, spans),
                             fmt::format("condition is always false: `{}` never holds for this {}",
                                         written, place.what),
                             fmt::format("{} never {}; fix the comparison or the {}, remove it, {}",
                                         place.what == "route" ? "the route" : "the rule",
                                         place.what == "route" ? "grants" : "refuses", place.what,
                                         acknowledge_help("constant-condition")));
      d.notes.push_back({place.line, why});
      add(std::move(d));
    }
  }

  // `x in [...]` listing every value of an attribute with a closed set of values.
  void whole_closed_set(const ConditionSpec& node, const std::vector<Span>& spans) {
    const auto c = comparison_of(node);
    if (!c || !c->in) return;
    const auto values = strings_of(*c);
    const auto closed = closed_values(c->info.attribute);
    if (!values || closed.empty()) return;
    for (const std::string_view value : closed) {
      if (values->count(std::string(value)) == 0) return;
    }
    std::string listed;
    for (const std::string_view value : closed) {
      listed += fmt::format("{}\"{}\"", listed.empty() ? "" : ", ", value);
    }
    Diagnostic d = warning(
        span_of(node, spans),
        fmt::format("condition is always true: every value of '{}' is in the list", c->attribute),
        fmt::format("a comparison that always holds restricts nothing; remove a value, remove "
                    "the comparison, {}",
                    acknowledge_help("constant-condition")));
    d.notes.push_back({span_of(*c->literal, spans),
                       fmt::format("'{}' is always one of {}", c->attribute, listed)});
    add(std::move(d));
  }

  void walk(const ConditionSpec& node, const std::vector<Span>& spans, ConditionKind parent) {
    for (const ConditionSpec& child : node.children) walk(child, spans, node.kind);
    if (node.kind == ConditionKind::compare || node.kind == ConditionKind::in) {
      literal_comparison(node, spans);
      if (parent != ConditionKind::or_) whole_closed_set(node, spans);
    } else if ((node.kind == ConditionKind::and_ || node.kind == ConditionKind::or_) &&
               node.kind != parent) {
      std::vector<const ConditionSpec*> terms;
      flatten(node, node.kind, terms);
      if (node.kind == ConditionKind::and_) {
        contradiction(node, terms, spans);
      } else {
        tautology(node, terms, spans);
      }
    }
  }

  static void flatten(const ConditionSpec& node, ConditionKind kind,
                      std::vector<const ConditionSpec*>& out) {
    if (node.kind != kind) {
      out.push_back(&node);
      return;
    }
    for (const ConditionSpec& child : node.children) flatten(child, kind, out);
  }

  // The comparisons among `terms`, grouped by attribute, in order.
  static std::map<std::string, std::vector<Comparison>> by_attribute(
      const std::vector<const ConditionSpec*>& terms) {
    std::map<std::string, std::vector<Comparison>> out;
    for (const ConditionSpec* term : terms) {
      auto c = comparison_of(*term);
      if (!c) continue;
      // `x in []` is a constant of its own (reported as such).
      if (c->in && c->literal->kind == ConditionKind::list_literal && c->literal->children.empty())
        continue;
      out[c->attribute].push_back(std::move(*c));
    }
    return out;
  }

  void contradiction(const ConditionSpec& node, const std::vector<const ConditionSpec*>& terms,
                     const std::vector<Span>& spans) {
    for (const auto& [attribute, comparisons] : by_attribute(terms)) {
      Narrowing values;
      for (const Comparison& c : comparisons) {
        if (values.add(c)) continue;
        const std::string other = values.other() ? text_of(*values.other(), spans) : "";
        const std::string these = text_of(*c.node, spans);
        const bool pairwise = !other.empty() && values.other() != c.node;
        Diagnostic d = warning(
            span_of(node, spans),
            pairwise ? fmt::format("condition is always false: `{}` and `{}` cannot both hold",
                                   other, these)
                     : fmt::format("condition is always false: no value of '{}' meets all of its "
                                   "comparisons",
                                   attribute),
            fmt::format("comparisons joined by `and` must all hold at once; fix the values, use "
                        "`or`, {}",
                        acknowledge_help("constant-condition")));
        d.notes.push_back(
            {span_of(*c.node, spans),
             pairwise ? fmt::format("no value of '{}' meets both `{}` and this comparison",
                                    attribute, other)
                      : fmt::format("no value of '{}' that the comparisons before it allow meets "
                                    "this one",
                                    attribute)});
        add(std::move(d));
        break;
      }
    }
  }

  void tautology(const ConditionSpec& node, const std::vector<const ConditionSpec*>& terms,
                 const std::vector<Span>& spans) {
    for (const auto& [attribute, comparisons] : by_attribute(terms)) {
      const auto pair = covering(comparisons);
      if (!pair) continue;
      const std::string first = pair->first ? text_of(*pair->first, spans) : std::string();
      const std::string second = text_of(*pair->second, spans);
      const bool always = never_missing(comparisons.front().info.attribute);
      const std::string which = pair->first ? fmt::format("`{}` or `{}`", first, second)
                                            : std::string("one of its comparisons");
      Diagnostic d = warning(
          span_of(node, spans),
          fmt::format("condition is always true{}: every value of '{}' meets {}",
                      always ? "" : fmt::format(" when '{}' is present", attribute), attribute,
                      which),
          fmt::format("a condition that always holds restricts nothing; fix the values, use "
                      "`and`, {}",
                      acknowledge_help("constant-condition")));
      d.notes.push_back(
          {span_of(*pair->second, spans),
           pair->first ? fmt::format("a value of '{}' that does not meet `{}` meets this one",
                                     attribute, first)
                       : fmt::format("a value of '{}' that meets none of the comparisons before it "
                                     "meets this one",
                                     attribute)});
      add(std::move(d));
    }
  }

  // `x in []`, or a comparison of two literals.
  void literal_comparison(const ConditionSpec& node, const std::vector<Span>& spans) {
    if (node.children.size() != 2) return;
    const auto literal = [](const ConditionSpec& c) { return c.kind != ConditionKind::attribute; };
    const bool empty_in = node.kind == ConditionKind::in &&
                          node.children[1].kind == ConditionKind::list_literal &&
                          node.children[1].children.empty();
    if (!empty_in && !(literal(node.children[0]) && literal(node.children[1]))) return;
    const std::string written = text_of(node, spans);
    add(warning(span_of(node, spans),
                empty_in
                    ? fmt::format("`{}` is always false: nothing is in an empty list", written)
                    : fmt::format("`{}` compares two literals: its value never changes", written),
                fmt::format("compare an attribute with a value (e.g. `request.ip in "
                            "[10.0.0.0/8]`), remove the comparison, {}",
                            acknowledge_help("constant-condition"))));
  }

  static Span span_of(const ConditionSpec& node, const std::vector<Span>& spans) {
    return node.tag < spans.size() ? spans[node.tag] : Span{};
  }

  static std::string text_of(const ConditionSpec& node, const std::vector<Span>& spans) {
    const Span span = span_of(node, spans);
    if (!span.file) return {};
    return condition_text(std::string_view(span.file->text).substr(span.offset, span.length));
  }

  static Diagnostic warning(Span span, std::string message, std::string help) {
    Diagnostic d;
    d.severity = Severity::warning;
    d.code = "constant-condition";
    d.span = std::move(span);
    d.message = std::move(message);
    d.help = std::move(help);
    return d;
  }

  // Once per place: a scope's condition is on each of its routes.
  void add(Diagnostic d) {
    if (!d.span.file || !m_seen.emplace(d.span.file->name, d.span.offset, d.message).second) {
      return;
    }
    m_out.add(std::move(d));
  }

  std::set<std::tuple<std::string, std::size_t, std::string>> m_seen;
  Diagnostics m_out;
};

}  // namespace

Diagnostics find_constant_conditions(const Model& model) { return Finder().run(model); }

}  // namespace scopegate
