// ConditionProgram::evaluate: a compiled condition tested against one request and
// principal. Reads request texts in place (percent- and form-decoding them byte by byte),
// never allocates, never throws; a missing value makes its comparison false, and one that
// cannot be read as compared makes the whole condition answer as the caller says.
#include <algorithm>
#include <charconv>

#include "condition_program.hpp"
#include "percent.hpp"

namespace scopegate {
namespace {

using Kind = ConditionSpec::Kind;

bool decoded_equal(std::string_view a, Encoding a_encoding, std::string_view b,
                   Encoding b_encoding) noexcept {
  if (a_encoding == Encoding::plain && b_encoding == Encoding::plain) return a == b;
  Decoder left(a, a_encoding);
  Decoder right(b, b_encoding);
  while (true) {
    const int x = left.next();
    if (x != right.next()) return false;
    if (x < 0) return true;
  }
}

// A decimal integer in the full int64 range, optionally negative; nothing else.
std::optional<std::int64_t> parse_integer(std::string_view text, Encoding encoding) noexcept {
  char digits[24];
  std::size_t length = 0;
  Decoder decoder(text, encoding);
  for (int c = decoder.next(); c >= 0; c = decoder.next()) {
    if (length == sizeof digits) return std::nullopt;
    digits[length++] = static_cast<char>(c);
  }
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(digits, digits + length, value);
  if (length == 0 || error != std::errc{} || end != digits + length) return std::nullopt;
  return value;
}

// A query parameter's or header's value as a condition reads it: the first one, and
// whether another with the same name has a different value (servers differ on which one
// counts, so such a value is not read at all).
struct Found {
  std::optional<std::string_view> value;
  bool ambiguous = false;
};

Found query_value(std::string_view target, std::string_view key) noexcept {
  Found found;
  const std::size_t question = target.find('?');
  if (question == std::string_view::npos) return found;
  std::string_view rest = target.substr(question + 1);
  rest = rest.substr(0, rest.find('#'));
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const std::size_t equals = pair.find('=');
    if (decoded_equal(pair.substr(0, equals), Encoding::form, key, Encoding::plain)) {
      const std::string_view value =
          equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1);
      if (!found.value) {
        found.value = value;
      } else if (!decoded_equal(*found.value, Encoding::form, value, Encoding::form)) {
        found.ambiguous = true;
        return found;
      }
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return found;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

struct ConditionProgram::Value {
  bool present = false;
  ValueType type = ValueType::boolean;
  std::string_view text;
  Encoding encoding = Encoding::plain;  // of `text`
  std::int64_t integer = 0;
  IpAddress ip;
  const Cidr* cidr = nullptr;
  std::span<const std::string> strings;
  std::span<const std::int64_t> integers;
  std::span<const Cidr> cidrs;
  const ScopeSet* scopes = nullptr;
};

ConditionProgram::Value ConditionProgram::value_of(const Node& node, const EvalContext& context,
                                                   bool& unreadable) const noexcept {
  Value value;
  value.type = node.type;
  value.present = true;
  switch (node.kind) {
    case Kind::string_literal:
      value.text = node.text;
      value.integer = node.integer;
      return value;
    case Kind::integer_literal:
    case Kind::boolean_literal:
      value.integer = node.integer;
      return value;
    case Kind::ip_literal:
      value.ip = node.ip;
      return value;
    case Kind::cidr_literal:
      value.cidr = &node.cidr;
      return value;
    case Kind::list_literal:
      value.strings = node.strings;
      value.integers = node.integers;
      value.cidrs = node.cidrs;
      return value;
    case Kind::attribute:
      break;
    default:
      value.integer = test(node, context, case_of(context.principal), unreadable) ? 1 : 0;
      return value;
  }
  const Principal& principal = context.principal;
  const auto ambiguous = [&] {
    unreadable = true;
    value.present = false;
    return value;
  };
  const auto text = [&](std::string_view s) {
    value.text = s;
    value.present = !s.empty();
    return value;
  };
  switch (node.attribute) {
    case Attribute::request_method:
      return text(context.request.method);
    case Attribute::request_path:
      return text(context.path.path);
    case Attribute::request_ip:
      value.present = context.request.ip.has_value();
      if (value.present) value.ip = *context.request.ip;
      return value;
    case Attribute::request_param:
      for (const PathParam& param : context.params) {
        if (param.name == node.text) {
          value.text = param.value;
          value.encoding = Encoding::percent;
          return value;
        }
      }
      value.present = false;
      return value;
    case Attribute::request_query: {
      const Found found = query_value(context.request.target, node.text);
      if (found.ambiguous) return ambiguous();
      value.present = found.value.has_value();
      if (found.value) value.text = *found.value;
      value.encoding = Encoding::form;
      return value;
    }
    case Attribute::request_header:
      value.present = false;
      for (const Header& header : context.request.headers) {
        if (!equal_ignoring_case(header.name, node.text)) continue;
        if (!value.present) {
          value.text = header.value;
          value.present = true;
        } else if (header.value != value.text) {
          return ambiguous();
        }
      }
      return value;
    case Attribute::request_time:
      value.present = context.request.time.has_value();
      if (value.present) value.integer = *context.request.time;
      return value;
    case Attribute::principal_kind:
      return text(principal_kind_name(principal.kind()));
    case Attribute::principal_id:
      return text(principal.id());
    case Attribute::principal_name:
      return text(principal.name());
    case Attribute::principal_org:
      return text(principal.org());
    case Attribute::principal_role:
      return text(principal.role());
    case Attribute::principal_scopes:
      value.scopes = &principal.scopes();
      value.present = context.principal_bound;
      return value;
    case Attribute::principal_allowed_cidrs:
      value.cidrs = principal.allowed_cidrs();
      return value;
  }
  value.present = false;
  return value;
}

bool ConditionProgram::test(const Node& node, const EvalContext& context, unsigned principal_case,
                            bool& unreadable) const noexcept {
  // Nodes the principal alone decides (shortcut comparisons, literals, and whatever
  // and/or/not make of them) are answered from the table built by verdicts_of().
  if (const Verdict known = verdict_for(node, principal_case); known != Verdict::depends) {
    return known == Verdict::yes;
  }
  switch (node.kind) {
    case Kind::not_:
      return !test(m_nodes[node.children[0]], context, principal_case, unreadable);
    case Kind::and_:
      for (const std::uint32_t child : node.children) {
        if (!test(m_nodes[child], context, principal_case, unreadable)) return false;
      }
      return true;
    case Kind::or_:
      for (const std::uint32_t child : node.children) {
        if (test(m_nodes[child], context, principal_case, unreadable)) return true;
      }
      return false;
    case Kind::compare: {
      const Node& left_node = m_nodes[node.children[0]];
      const Node& right_node = m_nodes[node.children[1]];
      Value left = value_of(left_node, context, unreadable);
      Value right = value_of(right_node, context, unreadable);
      if (!left.present || !right.present) return false;
      if (node.coerce_integer) {
        for (Value* side : {&left, &right}) {
          if (side->type != ValueType::string) continue;
          const auto number = parse_integer(side->text, side->encoding);
          if (!number) {
            unreadable = true;
            return false;
          }
          side->integer = *number;
          side->type = ValueType::integer;
        }
      }
      int order = 0;  // <0, 0, >0; for unordered types only 0 or 1
      switch (left.type) {
        case ValueType::string:
          order = decoded_equal(left.text, left.encoding, right.text, right.encoding) ? 0 : 1;
          break;
        case ValueType::integer:
        case ValueType::time:
        case ValueType::boolean:
          order = left.integer < right.integer ? -1 : left.integer > right.integer ? 1 : 0;
          break;
        case ValueType::ip:
          order = left.ip == right.ip ? 0 : 1;
          break;
        case ValueType::cidr:
          order = *left.cidr == *right.cidr ? 0 : 1;
          break;
        default: {  // a list against []: is it empty?
          const Value& list = left.type == ValueType::empty_list ? right : left;
          const bool empty =
              list.type == ValueType::scope_set
                  ? list.scopes->empty()
                  : list.strings.empty() && list.integers.empty() && list.cidrs.empty();
          order = empty ? 0 : 1;
        }
      }
      switch (node.op) {
        case CompareOp::eq:
          return order == 0;
        case CompareOp::ne:
          return order != 0;
        case CompareOp::lt:
          return order < 0;
        case CompareOp::le:
          return order <= 0;
        case CompareOp::gt:
          return order > 0;
        case CompareOp::ge:
          return order >= 0;
      }
      return false;
    }
    case Kind::in: {
      const Node& left_node = m_nodes[node.children[0]];
      Value left = value_of(left_node, context, unreadable);
      const Value right = value_of(m_nodes[node.children[1]], context, unreadable);
      if (!left.present || !right.present) return false;
      if (node.coerce_integer) {
        const auto number = parse_integer(left.text, left.encoding);
        if (!number) {
          unreadable = true;
          return false;
        }
        left.integer = *number;
      }
      switch (right.type) {
        case ValueType::string_list:
          return std::any_of(
              right.strings.begin(), right.strings.end(), [&](const std::string& item) {
                return decoded_equal(left.text, left.encoding, item, Encoding::plain);
              });
        case ValueType::integer_list:
          return std::find(right.integers.begin(), right.integers.end(), left.integer) !=
                 right.integers.end();
        case ValueType::cidr:
          return right.cidr->contains(left.ip);
        case ValueType::cidr_list:
          return std::any_of(right.cidrs.begin(), right.cidrs.end(),
                             [&](const Cidr& cidr) { return cidr.contains(left.ip); });
        case ValueType::scope_set:
          return left_node.scope_known && right.scopes->contains(left_node.scope);
        default:
          return false;
      }
    }
    default:
      return false;
  }
}

bool ConditionProgram::evaluate(std::uint32_t root, const EvalContext& context,
                                bool if_unreadable) const noexcept {
  if (root >= m_nodes.size()) return false;
  bool unreadable = false;
  const bool holds = test(m_nodes[root], context, case_of(context.principal), unreadable);
  return unreadable ? if_unreadable : holds;
}

}  // namespace scopegate
