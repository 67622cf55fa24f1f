// A small JSON value (null, bool, integer, string, array, object with members in the
// order they were added) and its text, for the OpenAPI document `scopegate docs` writes.
// dsl/ keeps no JSON library: the engine and dsl install without one. Values own what
// they hold; single-threaded use.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace scopegate::json {

struct Value;
using Array = std::vector<Value>;

class Object {
 public:
  // The member `key`, added (null) at the end when there is none.
  Value& operator[](std::string_view key);
  const std::vector<std::pair<std::string, Value>>& members() const { return m_members; }

 private:
  std::vector<std::pair<std::string, Value>> m_members;
};

struct Value {
  std::variant<std::nullptr_t, bool, std::int64_t, std::string, Array, Object> data;

  // Implicit, so that values read like JSON literals: `object["in"] = "path"`.
  Value() : data(nullptr) {}
  Value(bool value) : data(value) {}
  Value(int value) : data(std::int64_t{value}) {}
  Value(std::string value) : data(std::move(value)) {}
  Value(std::string_view value) : data(std::string(value)) {}
  Value(const char* value) : data(std::string(value)) {}
  Value(Array value) : data(std::move(value)) {}
  Value(Object value) : data(std::move(value)) {}

  // This value as an object, made one (empty) when it is null.
  Object& object();
};

// Pretty-printed with two-space indentation, a newline at the end; strings escaped
// (`"`, `\` and control characters; other bytes as they are, UTF-8 being valid JSON).
std::string dump(const Value& value);

}  // namespace scopegate::json
