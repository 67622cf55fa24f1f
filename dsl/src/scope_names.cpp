#include "scope_names.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <tao/pegtl.hpp>

#include "scopegate/grammar/policy.hpp"
#include "scopegate/policy_builder.hpp"

namespace scopegate {

namespace {

namespace g = grammar;
namespace pegtl = tao::pegtl;

// A bare name followed by white space, read where a scope name is most constrained:
// after `scopes` (not `*`) and after `implies` (not a keyword, not a method).
struct bare_scope_ref
    : pegtl::seq<pegtl::not_at<g::all_scopes>, g::implied_ref, g::whitespace, pegtl::eof> {};

bool reads_back_bare(std::string_view name) {
  if (!is_valid_scope_name(name)) return false;
  const std::string text = std::string(name) + " ";
  pegtl::memory_input input(text.data(), text.size(), "");
  try {
    return pegtl::parse<bare_scope_ref>(input);
  } catch (const pegtl::parse_error&) {
    return false;
  }
}

bool is_part(std::string_view part) {
  if (part.empty() || part.front() < 'a' || part.front() > 'z') return false;
  return std::all_of(part.begin(), part.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// The bytes of the UTF-8 sequence that starts with `lead` (1 when it is not a lead byte).
std::size_t sequence_length(unsigned char lead) {
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

std::string character_name(char c) {
  switch (c) {
    case ' ':
      return "a space";
    case '\t':
      return "a tab";
    case '\n':
      return "a line break";
    case '"':
      return "'\"'";
    case '\\':
      return "'\\'";
    default:
      return "a control character";
  }
}

}  // namespace

std::string written_scope_name(std::string_view name) {
  if (reads_back_bare(name)) return std::string(name);
  std::string out = "\"";
  for (const char c : name) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::optional<ScopeNameFault> scope_name_fault(std::string_view written) {
  const bool quoted = written.size() >= 2 && written.front() == '"';
  const std::size_t begin = quoted ? 1 : 0;
  const std::size_t end = quoted ? written.size() - 1 : written.size();
  if (begin >= end) return ScopeNameFault{0, written.size(), "nothing"};
  for (std::size_t i = begin; i < end; ++i) {
    const char c = written[i];
    if (quoted && c == '\\' && i + 1 < end) {
      const char escaped = written[i + 1];
      return ScopeNameFault{i, 2,
                            character_name(escaped == 'n'   ? '\n'
                                           : escaped == 't' ? '\t'
                                                            : escaped)};
    }
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80) {
      const std::size_t length = std::min(sequence_length(byte), end - i);
      return ScopeNameFault{
          i, length,
          fmt::format("'{}' (only ASCII characters are allowed)", written.substr(i, length))};
    }
    if (!is_scope_name_char(c)) return ScopeNameFault{i, 1, character_name(c)};
  }
  return std::nullopt;
}

bool has_resource_action_style(std::string_view name) {
  const std::size_t colon = name.find(':');
  if (colon == std::string_view::npos) return false;
  return is_part(name.substr(0, colon)) && is_part(name.substr(colon + 1));
}

std::optional<std::string> resource_action_spelling(std::string_view name) {
  std::string fixed;
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '_' || c == '.' || c == ' ') c = '-';
    fixed.push_back(c);
  }
  if (fixed != name && has_resource_action_style(fixed)) return fixed;
  return std::nullopt;
}

}  // namespace scopegate
