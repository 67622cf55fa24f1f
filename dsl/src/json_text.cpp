#include "json_text.hpp"

#include <fmt/format.h>

#include "condition_printer.hpp"

namespace scopegate::json {

namespace {

// A policy string literal's quoting (`\"`, `\\`, `\n`, `\t`) is JSON's too; the other
// control characters, which JSON does not allow raw, become `\u00XX`.
void append_string(std::string& out, std::string_view text) {
  for (const char c : quote(text)) {
    if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out += c;
    }
  }
}

void append_value(std::string& out, const Value& value, std::size_t depth) {
  const std::string indent(2 * (depth + 1), ' ');
  const std::string closing(2 * depth, ' ');
  if (const auto* array = std::get_if<Array>(&value.data)) {
    if (array->empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    for (std::size_t i = 0; i < array->size(); ++i) {
      out += indent;
      append_value(out, (*array)[i], depth + 1);
      out += i + 1 < array->size() ? ",\n" : "\n";
    }
    out += closing + "]";
  } else if (const auto* object = std::get_if<Object>(&value.data)) {
    const auto& members = object->members();
    if (members.empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    for (std::size_t i = 0; i < members.size(); ++i) {
      out += indent;
      append_string(out, members[i].first);
      out += ": ";
      append_value(out, members[i].second, depth + 1);
      out += i + 1 < members.size() ? ",\n" : "\n";
    }
    out += closing + "}";
  } else if (const auto* text = std::get_if<std::string>(&value.data)) {
    append_string(out, *text);
  } else if (const auto* number = std::get_if<std::int64_t>(&value.data)) {
    out += std::to_string(*number);
  } else if (const auto* boolean = std::get_if<bool>(&value.data)) {
    out += *boolean ? "true" : "false";
  } else {
    out += "null";
  }
}

}  // namespace

Value& Object::operator[](std::string_view key) {
  for (auto& [name, value] : m_members) {
    if (name == key) return value;
  }
  return m_members.emplace_back(std::string(key), Value()).second;
}

Object& Value::object() {
  if (std::holds_alternative<std::nullptr_t>(data)) data = Object();
  return std::get<Object>(data);
}

std::string dump(const Value& value) {
  std::string out;
  append_value(out, value, 0);
  return out + '\n';
}

}  // namespace scopegate::json
