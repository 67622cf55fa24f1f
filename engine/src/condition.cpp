// Conditions: attribute table, type checking (compile) and evaluation.
#include <algorithm>
#include <array>
#include <charconv>

#include "condition_program.hpp"
#include "percent.hpp"
#include "scopegate/policy.hpp"
#include "scopegate/suggest.hpp"

namespace scopegate {
namespace {

using Kind = ConditionSpec::Kind;

struct AttributeEntry {
  std::string_view name;  // keyed ones end in ".NAME"
  Attribute attribute;
  ValueType type;
};

constexpr std::array<AttributeEntry, 14> attribute_table = {{
    {"request.method", Attribute::request_method, ValueType::string},
    {"request.path", Attribute::request_path, ValueType::string},
    {"request.ip", Attribute::request_ip, ValueType::ip},
    {"request.param.NAME", Attribute::request_param, ValueType::string},
    {"request.query.NAME", Attribute::request_query, ValueType::string},
    {"request.header.NAME", Attribute::request_header, ValueType::string},
    {"request.time", Attribute::request_time, ValueType::time},
    {"principal.kind", Attribute::principal_kind, ValueType::string},
    {"principal.id", Attribute::principal_id, ValueType::string},
    {"principal.name", Attribute::principal_name, ValueType::string},
    {"principal.org", Attribute::principal_org, ValueType::string},
    {"principal.role", Attribute::principal_role, ValueType::string},
    {"principal.scopes", Attribute::principal_scopes, ValueType::scope_set},
    {"principal.allowed_cidrs", Attribute::principal_allowed_cidrs, ValueType::cidr_list},
}};

constexpr std::array<std::string_view, 14> attribute_name_list = [] {
  std::array<std::string_view, 14> names{};
  for (std::size_t i = 0; i < attribute_table.size(); ++i) names[i] = attribute_table[i].name;
  return names;
}();

std::string suggest_attribute(std::string_view written) {
  std::string best;
  std::size_t best_distance = 4;
  for (const AttributeEntry& entry : attribute_table) {
    std::string candidate(entry.name);
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
  std::string all = "known attributes: ";
  for (std::size_t i = 0; i < attribute_table.size(); ++i) {
    if (i != 0) all += ", ";
    all += attribute_table[i].name;
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

std::optional<std::string_view> query_value(std::string_view target,
                                            std::string_view key) noexcept {
  const std::size_t question = target.find('?');
  if (question == std::string_view::npos) return std::nullopt;
  std::string_view rest = target.substr(question + 1);
  rest = rest.substr(0, rest.find('#'));
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const std::size_t equals = pair.find('=');
    if (decoded_equal(pair.substr(0, equals), Encoding::form, key, Encoding::plain)) {
      return equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1);
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return std::nullopt;
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

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

std::string_view to_string(ValueType type) noexcept {
  switch (type) {
    case ValueType::string:
      return "string";
    case ValueType::integer:
      return "integer";
    case ValueType::boolean:
      return "boolean";
    case ValueType::ip:
      return "IP address";
    case ValueType::cidr:
      return "CIDR range";
    case ValueType::time:
      return "time";
    case ValueType::string_list:
      return "list of strings";
    case ValueType::integer_list:
      return "list of integers";
    case ValueType::cidr_list:
      return "list of CIDR ranges";
    case ValueType::scope_set:
      return "set of scopes";
    case ValueType::empty_list:
      return "empty list";
  }
  return "value";
}

std::string_view with_article(ValueType type) noexcept {
  switch (type) {
    case ValueType::string:
      return "a string";
    case ValueType::integer:
      return "an integer";
    case ValueType::boolean:
      return "a boolean";
    case ValueType::ip:
      return "an IP address";
    case ValueType::cidr:
      return "a CIDR range";
    case ValueType::time:
      return "a time";
    case ValueType::string_list:
      return "a list of strings";
    case ValueType::integer_list:
      return "a list of integers";
    case ValueType::cidr_list:
      return "a list of CIDR ranges";
    case ValueType::scope_set:
      return "a set of scopes";
    case ValueType::empty_list:
      return "an empty list";
  }
  return "a value";
}

std::string_view to_string(CompareOp op) noexcept {
  switch (op) {
    case CompareOp::eq:
      return "==";
    case CompareOp::ne:
      return "!=";
    case CompareOp::lt:
      return "<";
    case CompareOp::le:
      return "<=";
    case CompareOp::gt:
      return ">";
    case CompareOp::ge:
      return ">=";
  }
  return "==";
}

std::optional<AttributeInfo> find_attribute(std::string_view dotted) noexcept {
  for (const AttributeEntry& entry : attribute_table) {
    if (entry.name.ends_with(".NAME")) {
      const std::string_view prefix = entry.name.substr(0, entry.name.size() - 4);
      if (dotted.size() > prefix.size() && dotted.starts_with(prefix)) {
        const std::string_view key = dotted.substr(prefix.size());
        if (key.find('.') != std::string_view::npos) return std::nullopt;
        return AttributeInfo{entry.attribute, entry.type, key};
      }
    } else if (entry.name == dotted) {
      return AttributeInfo{entry.attribute, entry.type, {}};
    }
  }
  return std::nullopt;
}

std::span<const std::string_view> attribute_names() noexcept { return attribute_name_list; }

std::optional<std::int64_t> parse_timestamp(std::string_view text) noexcept {
  // YYYY-MM-DDTHH:MM:SSZ
  if (text.size() != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || text[19] != 'Z') {
    return std::nullopt;
  }
  const auto number = [&](std::size_t at, std::size_t digits) -> std::optional<unsigned> {
    unsigned value = 0;
    for (std::size_t i = at; i < at + digits; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      value = value * 10 + static_cast<unsigned>(text[i] - '0');
    }
    return value;
  };
  const auto year = number(0, 4), month = number(5, 2), day = number(8, 2);
  const auto hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  if (*month < 1 || *month > 12 || *day < 1 || *hour > 23 || *minute > 59 || *second > 59) {
    return std::nullopt;
  }
  constexpr std::array<unsigned, 12> month_days = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
  if (*day > month_days[*month - 1] || (*month == 2 && *day == 29 && !leap)) return std::nullopt;
  return days_from_civil(*year, *month, *day) * 86400 + *hour * 3600 + *minute * 60 + *second;
}

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
          return fail(spec, std::move(message), "use == or != for other values");
        }
      } else {
        const bool same = left == right && !is_list(left);
        const bool emptiness = (is_list(left) && right == ValueType::empty_list) ||
                               (left == ValueType::empty_list && is_list(right));
        if (!same && !emptiness && !text_vs_integer) {
          return fail(spec, "cannot compare " + a(left) + " with " + a(right),
                      is_list(left) || is_list(right)
                          ? "lists compare only with [] (empty); use `in` to test membership"
                          : "both sides of == and != must have the same type");
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
        return fail(spec, "cannot test " + a(left) + " for membership in " + a(right),
                    "`in` takes a string and a list of strings, an integer and a list of integers, "
                    "an IP address and a CIDR range or a list of them, or a scope name and "
                    "principal.scopes");
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

namespace {

// What `principal.kind` reads for each kind of principal.
std::string_view kind_name(PrincipalKind kind) noexcept {
  switch (kind) {
    case PrincipalKind::api_key:
      return "api_key";
    case PrincipalKind::user:
      return "user";
    case PrincipalKind::anonymous:
      return "anonymous";
  }
  return "anonymous";
}

}  // namespace

void ConditionProgram::set_shortcut(Node& node, const Node& left, const Node& right) noexcept {
  for (const auto& [attribute, literal] : {std::pair{&left, &right}, std::pair{&right, &left}}) {
    if (attribute->kind != Kind::attribute) continue;
    if (attribute->attribute == Attribute::principal_kind &&
        literal->kind == Kind::string_literal) {
      node.shortcut = Shortcut::principal_kind;
      node.shortcut_kind = 0xFF;
      for (const PrincipalKind kind :
           {PrincipalKind::anonymous, PrincipalKind::api_key, PrincipalKind::user}) {
        if (literal->text == kind_name(kind)) node.shortcut_kind = static_cast<std::uint8_t>(kind);
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

ConditionProgram::Value ConditionProgram::value_of(const Node& node,
                                                   const EvalContext& context) const noexcept {
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
      value.integer = test(node, context, case_of(context.principal)) ? 1 : 0;
      return value;
  }
  const Principal& principal = context.principal;
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
      const auto found = query_value(context.request.target, node.text);
      value.present = found.has_value();
      if (found) value.text = *found;
      value.encoding = Encoding::form;
      return value;
    }
    case Attribute::request_header:
      for (const Header& header : context.request.headers) {
        if (equal_ignoring_case(header.name, node.text)) {
          value.text = header.value;
          return value;
        }
      }
      value.present = false;
      return value;
    case Attribute::request_time:
      value.present = context.request.time.has_value();
      if (value.present) value.integer = *context.request.time;
      return value;
    case Attribute::principal_kind:
      return text(kind_name(principal.kind()));
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

bool ConditionProgram::test(const Node& node, const EvalContext& context,
                            unsigned principal_case) const noexcept {
  // Nodes the principal alone decides (shortcut comparisons, literals, and whatever
  // and/or/not make of them) are answered from the table built by verdicts_of().
  if (const Verdict known = verdict_for(node, principal_case); known != Verdict::depends) {
    return known == Verdict::yes;
  }
  switch (node.kind) {
    case Kind::not_:
      return !test(m_nodes[node.children[0]], context, principal_case);
    case Kind::and_:
      for (const std::uint32_t child : node.children) {
        if (!test(m_nodes[child], context, principal_case)) return false;
      }
      return true;
    case Kind::or_:
      for (const std::uint32_t child : node.children) {
        if (test(m_nodes[child], context, principal_case)) return true;
      }
      return false;
    case Kind::compare: {
      const Node& left_node = m_nodes[node.children[0]];
      const Node& right_node = m_nodes[node.children[1]];
      Value left = value_of(left_node, context);
      Value right = value_of(right_node, context);
      if (!left.present || !right.present) return false;
      if (node.coerce_integer) {
        for (Value* side : {&left, &right}) {
          if (side->type != ValueType::string) continue;
          const auto number = parse_integer(side->text, side->encoding);
          if (!number) return false;
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
      Value left = value_of(left_node, context);
      const Value right = value_of(m_nodes[node.children[1]], context);
      if (!left.present || !right.present) return false;
      if (node.coerce_integer) {
        const auto number = parse_integer(left.text, left.encoding);
        if (!number) return false;
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

bool ConditionProgram::evaluate(std::uint32_t root, const EvalContext& context) const noexcept {
  return root < m_nodes.size() && test(m_nodes[root], context, case_of(context.principal));
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
