// The condition language's vocabulary (scopegate/condition.hpp): the attribute table,
// the names of value types and operators as messages show them, and timestamps.
#include <array>

#include "scopegate/condition.hpp"

namespace scopegate {
namespace {

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

std::span<const std::string_view> closed_values(Attribute attribute) noexcept {
  static constexpr std::string_view kinds[] = {"api_key", "user", "anonymous"};
  // The methods a route line names, and those only `*` routes accept.
  static constexpr std::string_view methods[] = {"GET",  "POST",    "PUT",   "PATCH",  "DELETE",
                                                 "HEAD", "OPTIONS", "TRACE", "CONNECT"};
  if (attribute == Attribute::principal_kind) return kinds;
  if (attribute == Attribute::request_method) return methods;
  return {};
}

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

}  // namespace scopegate
