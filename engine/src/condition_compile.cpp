// ConditionProgram::compile: a ConditionSpec checked (arity, attribute names, route
// parameters, literals, operand types) and appended to the program as typed nodes, each
// with the verdicts the principal alone decides precomputed (verdicts_of()).
#include <algorithm>

#include "condition_program.hpp"
#include "scopegate/suggest.hpp"

namespace scopegate {
namespace {

using Kind = ConditionSpec::Kind;

// The help line for an unknown attribute: the closest name, or every name.
std::string suggest_attribute(std::string_view written) {
  std::string best;
  std::size_t best_distance = 4;
  for (const std::string_view name : attribute_names()) {
    std::string candidate(name);
    if (candidate.ends_with(".NAME")) {
      // Compare the prefix only: "request.qurey.size" ~ "request.query."
      const std::string prefix = candidate.substr(0, candidate.size() - 4);
      const std::size_t dot = written.find('.', written.find('.') + 1);
      if (dot == std::string_view::npos) continue;
      const std::size_t distance = edit_distance(written.substr(0, dot + 1), prefix);
      if (distance < best_distance) {
        best_distance = distance;
        best = prefix + std::string(written.substr(dot + 1));
      }
      continue;
    }
    const std::size_t distance = edit_distance(written, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  if (!best.empty()) return "did you mean '" + best + "'?";
  std::string all;
  for (const std::string_view name : attribute_names()) {
    all += all.empty() ? "known attributes: " : ", ";
    all += name;
  }
  return all;
}

Unexpected<ConditionError> fail(const ConditionSpec& spec, std::string message,
                                std::string help = {},
                                ConditionErrorKind kind = ConditionErrorKind::type) {
  return unexpected(ConditionError{kind, spec.tag, std::move(message), std::move(help)});
}

std::string a(ValueType type) { return std::string(with_article(type)); }

// What one item of a list literal of this type is, for messages.
std::string_view item_name(ValueType list) noexcept {
  switch (list) {
    case ValueType::string_list:
      return "a string";
    case ValueType::integer_list:
      return "an integer";
    default:
      return "an address or CIDR range";
  }
}

bool is_list(ValueType type) noexcept {
  return type == ValueType::string_list || type == ValueType::integer_list ||
         type == ValueType::cidr_list || type == ValueType::scope_set ||
         type == ValueType::empty_list;
}

bool is_text_attribute(Attribute attribute) noexcept {
  return attribute == Attribute::request_query || attribute == Attribute::request_header ||
         attribute == Attribute::request_param;
}

}  // namespace

Result<std::uint32_t, ConditionError> ConditionProgram::compile(
    const ConditionSpec& spec, const ScopeLookup& scopes, const std::vector<std::string>* params) {
  auto root = compile_node(spec, scopes, params);
  if (!root) return root;
  const ValueType type = m_nodes[*root].type;
  if (type != ValueType::boolean) {
    return fail(spec, "a condition must be true or false, not " + a(type),
                "compare it with something, e.g. `request.query.size <= 100`");
  }
  return root;
}

Result<std::uint32_t, ConditionError> ConditionProgram::compile_node(
    const ConditionSpec& spec, const ScopeLookup& scopes, const std::vector<std::string>* params) {
  // Arity first: an embedder's tree may be malformed.
  const std::size_t operands = spec.children.size();
  const auto arity = [&](std::string_view what) {
    return fail(spec, "malformed condition: " + std::string(what),
                "build the ConditionSpec with the operands its kind takes");
  };
  switch (spec.kind) {
    case Kind::compare:
    case Kind::in:
      if (operands != 2) return arity("a comparison takes exactly two operands");
      break;
    case Kind::not_:
      if (operands != 1) return arity("'not' takes exactly one operand");
      break;
    case Kind::and_:
    case Kind::or_:
      if (operands < 2) return arity("'and' and 'or' take two or more operands");
      break;
    case Kind::list_literal:
      break;
    default:
      if (operands != 0) return arity("a literal or attribute has no operands");
      break;
  }

  Node node;
  node.kind = spec.kind;
  node.op = spec.op;
  std::vector<std::uint32_t> children;
  if (spec.kind != Kind::list_literal) {
    for (const ConditionSpec& child : spec.children) {
      auto index = compile_node(child, scopes, params);
      if (!index) return index;
      children.push_back(*index);
    }
  }
  const auto type_of = [&](std::size_t i) { return m_nodes[children[i]].type; };
  const auto kind_of = [&](std::size_t i) { return m_nodes[children[i]].kind; };

  switch (spec.kind) {
    case Kind::string_literal:
      node.type = ValueType::string;
      node.text = spec.text;
      break;
    case Kind::integer_literal:
      node.type = ValueType::integer;
      node.integer = spec.integer;
      break;
    case Kind::boolean_literal:
      node.type = ValueType::boolean;
      node.integer = spec.boolean ? 1 : 0;
      break;
    case Kind::ip_literal: {
      const auto ip = parse_ip(spec.text);
      if (!ip) {
        return fail(spec, "invalid IP address '" + spec.text + "'",
                    "write an IPv4 address like 192.0.2.1 or an IPv6 address like 2001:db8::1",
                    ConditionErrorKind::bad_literal);
      }
      node.type = ValueType::ip;
      node.ip = *ip;
      break;
    }
    case Kind::cidr_literal: {
      const auto cidr = parse_cidr(spec.text);
      if (!cidr) {
        return fail(spec, "invalid CIDR range '" + spec.text + "'",
                    "write a network address and a prefix length with the host bits zero, "
                    "e.g. 10.0.0.0/8 or 2001:db8::/32",
                    ConditionErrorKind::bad_literal);
      }
      node.type = ValueType::cidr;
      node.cidr = *cidr;
      break;
    }
    case Kind::list_literal: {
      node.type = ValueType::empty_list;
      for (const ConditionSpec& item : spec.children) {
        ValueType item_type;
        switch (item.kind) {
          case Kind::string_literal:
            item_type = ValueType::string_list;
            node.strings.push_back(item.text);
            break;
          case Kind::integer_literal:
            item_type = ValueType::integer_list;
            node.integers.push_back(item.integer);
            break;
          case Kind::ip_literal:
          case Kind::cidr_literal: {
            const auto cidr = item.kind == Kind::cidr_literal ? parse_cidr(item.text)
                              : parse_ip(item.text)           ? parse_cidr(item.text)
                                                              : std::nullopt;
            if (!cidr) {
              return fail(
                  item,
                  "invalid " +
                      std::string(item.kind == Kind::ip_literal ? "IP address" : "CIDR range") +
                      " '" + item.text + "'",
                  "e.g. 10.0.0.0/8, 192.0.2.1 or 2001:db8::/32", ConditionErrorKind::bad_literal);
            }
            item_type = ValueType::cidr_list;
            node.cidrs.push_back(*cidr);
            break;
          }
          default:
            return fail(item, "list items are strings, integers, or addresses and CIDR ranges",
                        "write `[\"a\", \"b\"]`, `[1, 2]` or `[10.0.0.0/8, 192.0.2.1]`");
        }
        if (node.type != ValueType::empty_list && node.type != item_type) {
          return fail(item,
                      "a list holds one kind of item: " + std::string(item_name(item_type)) +
                          " follows " + std::string(item_name(node.type)),
                      "split it into two lists joined with `or`");
        }
        node.type = item_type;
      }
      break;
    }
    case Kind::attribute: {
      const auto info = find_attribute(spec.text);
      if (!info) {
        return fail(spec, "unknown attribute '" + spec.text + "'", suggest_attribute(spec.text),
                    ConditionErrorKind::unknown_attribute);
      }
      node.attribute = info->attribute;
      node.type = info->type;
      node.text = std::string(info->key);
      if (info->attribute == Attribute::request_param && params != nullptr &&
          std::find(params->begin(), params->end(), node.text) == params->end()) {
        std::string bound;
        for (const auto& name : *params) bound += (bound.empty() ? "{" : ", {") + name + "}";
        return fail(
            spec, "this route has no parameter '" + node.text + "'",
            bound.empty() ? "the route's template binds no parameters" : "the route binds " + bound,
            ConditionErrorKind::unknown_parameter);
      }
      break;
    }
    case Kind::compare: {
      // A time compared with a string literal: the literal is a timestamp.
      for (std::size_t side = 0; side < 2; ++side) {
        Node& other = m_nodes[children[1 - side]];
        if (type_of(side) == ValueType::time && other.kind == Kind::string_literal) {
          const auto seconds = parse_timestamp(other.text);
          if (!seconds) {
            return fail(spec.children[1 - side], "invalid timestamp '" + other.text + "'",
                        "write UTC ISO-8601 with seconds, e.g. \"2026-02-18T10:30:00Z\"",
                        ConditionErrorKind::bad_literal);
          }
          other.type = ValueType::time;
          other.integer = *seconds;
        }
      }
      const ValueType left = type_of(0);
      const ValueType right = type_of(1);
      const bool text_vs_integer =
          (left == ValueType::integer && right == ValueType::string &&
           kind_of(1) == Kind::attribute && is_text_attribute(m_nodes[children[1]].attribute)) ||
          (right == ValueType::integer && left == ValueType::string &&
           kind_of(0) == Kind::attribute && is_text_attribute(m_nodes[children[0]].attribute));
      node.coerce_integer = text_vs_integer;
      const bool ordering = spec.op != CompareOp::eq && spec.op != CompareOp::ne;
      if (ordering) {
        const bool numbers =
            text_vs_integer ||
            (left == right && (left == ValueType::integer || left == ValueType::time));
        if (!numbers) {
          std::string message = "'";  // built in steps: g++ 12 -O3 warns on "x" + string&&
          message.append(to_string(spec.op)).append("' compares integers or times, not ");
          message.append(a(left)).append(" with ").append(a(right));
          std::string help = "use == or != for other values";
          if (left == ValueType::time || right == ValueType::time) {
            help =
                "write the time as a UTC timestamp in quotes, e.g. "
                "`request.time < \"2027-01-01T00:00:00Z\"`";
          }
          return fail(spec, std::move(message), std::move(help));
        }
      } else {
        const bool same = left == right && !is_list(left);
        const bool emptiness = (is_list(left) && right == ValueType::empty_list) ||
                               (left == ValueType::empty_list && is_list(right));
        if (!same && !emptiness && !text_vs_integer) {
          std::string help = is_list(left) || is_list(right)
                                 ? "lists compare only with [] (empty); use `in` to test membership"
                                 : "both sides of == and != must have the same type";
          if ((left == ValueType::ip && right == ValueType::string) ||
              (left == ValueType::string && right == ValueType::ip)) {
            help += ": write the address bare, e.g. `request.ip == 10.0.0.1`";
          } else if (left == ValueType::time || right == ValueType::time) {
            help +=
                ": write the time as a UTC timestamp in quotes, e.g. "
                "`request.time == \"2027-01-01T00:00:00Z\"`";
          }
          return fail(spec, "cannot compare " + a(left) + " with " + a(right), std::move(help));
        }
      }
      node.type = ValueType::boolean;
      if (!ordering) set_shortcut(node, m_nodes[children[0]], m_nodes[children[1]]);
      break;
    }
    case Kind::in: {
      const ValueType left = type_of(0);
      const ValueType right = type_of(1);
      const bool text_in_integers = right == ValueType::integer_list && left == ValueType::string &&
                                    kind_of(0) == Kind::attribute &&
                                    is_text_attribute(m_nodes[children[0]].attribute);
      node.coerce_integer = text_in_integers;
      const bool fits =
          right == ValueType::empty_list || text_in_integers ||
          (left == ValueType::string && right == ValueType::string_list) ||
          (left == ValueType::integer && right == ValueType::integer_list) ||
          (left == ValueType::ip && (right == ValueType::cidr || right == ValueType::cidr_list)) ||
          (left == ValueType::string && right == ValueType::scope_set);
      if (!fits) {
        std::string help =
            "`in` takes a string and a list of strings, an integer and a list of integers, an IP "
            "address and a CIDR range or a list of them, or a scope name and principal.scopes";
        if (left == ValueType::ip &&
            (right == ValueType::string || right == ValueType::string_list)) {
          help =
              "an address is tested against CIDR ranges, not strings: write the ranges bare, "
              "e.g. `request.ip in [10.0.0.0/8]`";
        }
        return fail(spec, "cannot test " + a(left) + " for membership in " + a(right),
                    std::move(help));
      }
      if (right == ValueType::scope_set) {
        Node& name = m_nodes[children[0]];
        if (name.kind != Kind::string_literal) {
          return fail(
              spec.children[0],
              "only a scope name written as a string may be tested against principal.scopes",
              "e.g. `\"sessions:read\" in principal.scopes`");
        }
        const auto id = scopes(name.text);
        if (!id) {
          return fail(spec.children[0], "unknown scope '" + name.text + "'",
                      "declare it with `scope " + name.text + " { ... }`",
                      ConditionErrorKind::unknown_scope);
        }
        name.scope = *id;
        name.scope_known = true;
      }
      node.type = ValueType::boolean;
      break;
    }
    case Kind::not_:
    case Kind::and_:
    case Kind::or_: {
      for (std::size_t i = 0; i < children.size(); ++i) {
        if (type_of(i) != ValueType::boolean) {
          const std::string_view word = spec.kind == Kind::not_   ? "not"
                                        : spec.kind == Kind::and_ ? "and"
                                                                  : "or";
          std::string message = "'";  // built in steps: g++ 12 -O3 warns on "x" + string&&
          message.append(word).append("' needs a condition, not ").append(a(type_of(i)));
          return fail(spec.children[i], std::move(message),
                      "compare the value with something, e.g. `principal.kind == \"api_key\"`");
        }
      }
      node.type = ValueType::boolean;
      break;
    }
  }
  node.children = std::move(children);
  node.verdicts = verdicts_of(node);
  m_nodes.push_back(std::move(node));
  return static_cast<std::uint32_t>(m_nodes.size() - 1);
}

void ConditionProgram::set_shortcut(Node& node, const Node& left, const Node& right) noexcept {
  for (const auto& [attribute, literal] : {std::pair{&left, &right}, std::pair{&right, &left}}) {
    if (attribute->kind != Kind::attribute) continue;
    if (attribute->attribute == Attribute::principal_kind &&
        literal->kind == Kind::string_literal) {
      node.shortcut = Shortcut::principal_kind;
      node.shortcut_kind = 0xFF;
      for (const PrincipalKind kind :
           {PrincipalKind::anonymous, PrincipalKind::api_key, PrincipalKind::user}) {
        if (literal->text == principal_kind_name(kind))
          node.shortcut_kind = static_cast<std::uint8_t>(kind);
      }
      return;
    }
    if (attribute->attribute == Attribute::principal_allowed_cidrs &&
        literal->kind == Kind::list_literal && literal->type == ValueType::empty_list) {
      node.shortcut = Shortcut::allowed_cidrs_empty;
      return;
    }
  }
}

std::uint16_t ConditionProgram::verdicts_of(const Node& node) const noexcept {
  const auto of = [](bool value) { return value ? Verdict::yes : Verdict::no; };
  std::uint16_t out = 0;
  for (unsigned c = 0; c < case_count; ++c) {
    const auto kind = static_cast<std::uint8_t>(c / 2);
    const bool cidrs_empty = c % 2 == 0;
    Verdict verdict = Verdict::depends;
    switch (node.kind) {
      case Kind::boolean_literal:
        verdict = of(node.integer != 0);
        break;
      case Kind::compare:
        if (node.shortcut == Shortcut::principal_kind) {
          verdict = of((kind == node.shortcut_kind) == (node.op == CompareOp::eq));
        } else if (node.shortcut == Shortcut::allowed_cidrs_empty) {
          verdict = of(cidrs_empty == (node.op == CompareOp::eq));
        }
        break;
      case Kind::not_: {
        const Verdict operand = verdict_for(m_nodes[node.children[0]], c);
        verdict = operand == Verdict::depends ? operand : of(operand == Verdict::no);
        break;
      }
      case Kind::and_:
      case Kind::or_: {
        // `and`: one false operand decides, all true decide; `or` the other way round.
        const Verdict deciding = node.kind == Kind::and_ ? Verdict::no : Verdict::yes;
        const Verdict otherwise = node.kind == Kind::and_ ? Verdict::yes : Verdict::no;
        verdict = otherwise;
        for (const std::uint32_t child : node.children) {
          const Verdict operand = verdict_for(m_nodes[child], c);
          if (operand == deciding) {
            verdict = deciding;
            break;
          }
          if (operand == Verdict::depends) verdict = Verdict::depends;
        }
        break;
      }
      default:
        break;
    }
    out |= static_cast<std::uint16_t>(static_cast<unsigned>(verdict) << (2 * c));
  }
  return out;
}

std::size_t ConditionProgram::memory_usage() const noexcept {
  std::size_t total = m_nodes.capacity() * sizeof(Node);
  for (const Node& node : m_nodes) {
    total += node.text.capacity() + node.children.capacity() * sizeof(std::uint32_t);
    total += node.strings.capacity() * sizeof(std::string) + node.integers.capacity() * 8 +
             node.cidrs.capacity() * sizeof(Cidr);
  }
  return total;
}

}  // namespace scopegate
