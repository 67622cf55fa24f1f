#include "output.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <ostream>
#include <string_view>

namespace scopegate::cli {

namespace {

using Json = nlohmann::ordered_json;

struct Position {
  std::uint32_t line = 1;
  std::uint32_t column = 1;
};

// 1-based line and byte column of `offset` in `text` (clamped to its end).
Position position_of(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  Position position;
  const std::string_view before = text.substr(0, offset);
  position.line += static_cast<std::uint32_t>(std::count(before.begin(), before.end(), '\n'));
  const std::size_t line_start = before.rfind('\n');
  const std::size_t column =
      line_start == std::string_view::npos ? offset : offset - line_start - 1;
  position.column += static_cast<std::uint32_t>(column);
  return position;
}

// Sets file, line and column of `object` from `span`: null when the span has no file
// or no position.
void put_location(Json& object, const Span& span) {
  if (!span.file) {
    object["file"] = nullptr;
    object["line"] = nullptr;
    object["column"] = nullptr;
    return;
  }
  object["file"] = span.file->name;
  // A diagnostic about a whole file (e.g. file-not-found) has no position in it.
  object["line"] = span.line == 0 ? Json(nullptr) : Json(span.line);
  object["column"] = span.line == 0 ? Json(nullptr) : Json(span.column);
}

}  // namespace

void add_format_option(CLI::App& command, Format& format) {
  command
      .add_option_function<std::string>(
          "--format",
          [&format](const std::string& name) {
            format = name == "json" ? Format::json : Format::text;
          },
          "output format: text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
}

CLI::Option* add_scope_option(CLI::App& command, std::vector<std::string>& names,
                              const std::string& description) {
  return command.add_option("--scope", names, description)
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

std::vector<std::filesystem::path> policy_paths(const std::vector<std::string>& given) {
  if (given.empty()) return {std::filesystem::path{"policies/"}};
  return {given.begin(), given.end()};
}

std::string join_paths(const std::vector<std::filesystem::path>& paths) {
  std::string joined;
  for (const auto& path : paths) {
    if (!joined.empty()) joined += ' ';
    joined += path.string();
  }
  return joined;
}

nlohmann::ordered_json to_json(const Diagnostics& diagnostics) {
  Json array = Json::array();
  for (const Diagnostic& diagnostic : diagnostics.items()) {
    Json object = Json::object();
    put_location(object, diagnostic.span);
    if (diagnostic.span.file && diagnostic.span.line != 0 && diagnostic.span.length > 0) {
      const Position end =
          position_of(diagnostic.span.file->text, diagnostic.span.offset + diagnostic.span.length);
      object["endLine"] = end.line;
      object["endColumn"] = end.column;
    }
    object["severity"] = to_string(diagnostic.severity);
    object["code"] = diagnostic.code;
    object["message"] = diagnostic.message;
    object["help"] = diagnostic.help.empty() ? Json(nullptr) : Json(diagnostic.help);
    Json notes = Json::array();
    for (const Label& label : diagnostic.notes) {
      Json note = Json::object();
      put_location(note, label.span);
      note["message"] = label.message;
      notes.push_back(std::move(note));
    }
    object["notes"] = std::move(notes);
    array.push_back(std::move(object));
  }
  return array;
}

void print_json(std::ostream& out, const nlohmann::ordered_json& value) {
  out << value.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
}

}  // namespace scopegate::cli
