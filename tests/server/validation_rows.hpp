// The table helpers of the body-validation tests (validation_test.cpp,
// admin_bodies_test.cpp): a row per input with the refusal it must get, the rows every
// text field answers alike, and the refusal a parse result gives one field.
#pragma once

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <optional>
#include <string>
#include <vector>

#include "harness.hpp"
#include "server/handlers/bodies.hpp"
#include "server/text.hpp"

namespace scopegate::server::testing {

// A row of a field's table: `refusal` is empty for text the field accepts, otherwise
// a part of the message it must give.
struct Row {
  std::string note;
  std::string text;
  std::string refusal;
};

inline std::string repeat(std::string_view text, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += text;
  return out;
}

inline std::string at_most(std::size_t limit) {
  return fmt::format("at most {} characters", limit);
}

// The rows every text field answers alike: encoding, control characters and length in
// characters. `valid` is an acceptable value; `suffix` (which the field may need, as an
// email needs its `@`) ends every row and counts towards the limit. Free text also
// accepts tab and line breaks.
inline std::vector<Row> text_rows(std::size_t limit, Controls controls, const std::string& valid,
                                  const std::string& suffix = "") {
  const std::string control = "must not contain control characters";
  const bool free_text = controls == Controls::tab_and_line_breaks;
  const std::size_t room = limit - suffix.size();  // suffixes are ASCII
  std::vector<Row> rows = {
      {"valid", valid, ""},
      {"exactly at the limit in 2-byte characters", repeat("é", room), ""},
      {"exactly at the limit in 2-, 3- and 4-byte characters", repeat("é", room - 2) + "€" + "😀",
       ""},
      {"one character over the limit in 2-byte characters", repeat("é", room + 1), at_most(limit)},
      {"one character over the limit in 4-byte characters", repeat("😀", room + 1), at_most(limit)},
      {"one character over the limit in ASCII", repeat("a", room + 1), at_most(limit)},
      {"a no-break space (U+00A0), just past C1", "a\u00A0b", ""},
      {"a lone 0xFF byte", "a\xFF", "must be valid UTF-8"},
      {"a stray continuation byte", "a\x80", "must be valid UTF-8"},
      {"a 2-byte sequence cut short", "ab\xC3", "must be valid UTF-8"},
      {"a 3-byte sequence cut short by ASCII", "\xE2\x82z", "must be valid UTF-8"},
      {"overlong 2-byte `/` (C0 AF)", "\xC0\xAF", "must be valid UTF-8"},
      {"overlong 2-byte NUL (C0 80)", "\xC0\x80", "must be valid UTF-8"},
      {"overlong 3-byte `/` (E0 80 AF)", "\xE0\x80\xAF", "must be valid UTF-8"},
      {"overlong 4-byte `/` (F0 80 80 AF)", "\xF0\x80\x80\xAF", "must be valid UTF-8"},
      {"high surrogate U+D800 encoded in UTF-8", "\xED\xA0\x80", "must be valid UTF-8"},
      {"low surrogate U+DFFF encoded in UTF-8", "\xED\xBF\xBF", "must be valid UTF-8"},
      {"beyond U+10FFFF (F4 90 80 80)", "\xF4\x90\x80\x80", "must be valid UTF-8"},
      {"NUL", std::string("ab\0cd", 5), control + " (U+0000 at character 3)"},
      {"NUL last", std::string("ab\0", 3), "U+0000"},
      {"SOH (U+0001)", "\x01", "U+0001"},
      {"ESC of a terminal escape sequence", "\x1B[31mred", "U+001B"},
      {"unit separator (U+001F)", "a\x1F", "U+001F"},
      {"DEL (U+007F)", "a\x7F", "U+007F"},
      {"C1 next line (U+0085)", "a\u0085b", "U+0085"},
      {"C1 control sequence introducer (U+009B)", "\u009B31m", "U+009B"},
      {"C1 application program command (U+009F)", "\u009F", "U+009F"},
      {"tab", "a\tb", free_text ? "" : "U+0009"},
      {"line feed", "a\nb", free_text ? "" : "U+000A"},
      {"carriage return and line feed", "a\r\nb", free_text ? "" : "U+000D"},
  };
  for (auto& row : rows) {
    if (row.note != "valid") row.text += suffix;
  }
  return rows;
}

inline std::vector<Row> operator+(std::vector<Row> rows, const std::vector<Row>& more) {
  rows.insert(rows.end(), more.begin(), more.end());
  return rows;
}

// Runs `rows` through `refusal_of`, which returns the field's message or nullopt.
template <typename Check>
void check_rows(const std::vector<Row>& rows, Check refusal_of) {
  for (const auto& row : rows) {
    INFO("row: " << row.note);
    const std::optional<std::string> refusal = refusal_of(row.text);
    if (row.refusal.empty()) {
      CHECK(refusal.value_or("") == "");
    } else {
      REQUIRE(refusal);
      CHECK_THAT(*refusal, Catch::Matchers::Contains(row.refusal));
    }
  }
}

// The message a parse result gives `field`: nullopt when the whole input was accepted;
// when only other fields were refused, a note saying so (which no row expects).
template <typename T>
std::optional<std::string> refusal(const scopegate::Result<T, ValidationErrors>& result,
                                   const std::string& field) {
  if (result) return std::nullopt;
  const auto found = result.error().find(field);
  if (found != result.error().end()) return found->second;
  std::string others = "other fields refused:";
  for (const auto& [name, message] : result.error()) others += " " + name + ": " + message;
  return others;
}

// A body that is valid for its endpoint, with `field` set to `text`.
inline nlohmann::json with_field(nlohmann::json body, const std::string& field,
                                 const std::string& text) {
  body[field] = text;
  return body;
}

}  // namespace scopegate::server::testing
