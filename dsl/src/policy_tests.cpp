#include "scopegate/dsl/policy_tests.hpp"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <memory>
#include <set>
#include <unordered_map>

#include "read_file.hpp"
#include "scopegate/suggest.hpp"

namespace scopegate {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t max_test_file_bytes = std::size_t{16} << 20;

// Every key a `[[case]]` table may hold.
constexpr std::array<std::string_view, 15> case_keys = {
    "name",    "scopes",  "role", "ip",     "allowed_cidrs", "id",     "org",    "principal",
    "request", "headers", "time", "expect", "status",        "reason", "message"};
constexpr std::array<std::string_view, 4> principal_keys = {"id", "name", "org", "allowed_cidrs"};

constexpr std::array<Reason, 9> all_reasons = {
    Reason::allowed,           Reason::invalid_path,
    Reason::unauthenticated,   Reason::api_key_not_supported,
    Reason::missing_scope,     Reason::condition_failed,
    Reason::forbidden,         Reason::no_route,
    Reason::method_not_allowed};

template <std::size_t N>
std::string quoted_list(const std::array<std::string_view, N>& names) {
  std::string joined;
  for (std::string_view name : names) {
    if (!joined.empty()) joined += ", ";
    joined += fmt::format("`{}`", name);
  }
  return joined;
}

// The byte offset of a 1-based line and column (toml++ counts columns in code points).
std::size_t offset_of(std::string_view text, std::uint32_t line, std::uint32_t column) {
  std::size_t offset = 0;
  for (std::uint32_t current = 1; current < line; ++current) {
    const std::size_t newline = text.find('\n', offset);
    if (newline == std::string_view::npos) return text.size();
    offset = newline + 1;
  }
  for (std::uint32_t current = 1; current < column && offset < text.size(); ++current) {
    ++offset;
    while (offset < text.size() && (static_cast<unsigned char>(text[offset]) & 0xC0) == 0x80) {
      ++offset;
    }
  }
  return offset;
}

// The decimal number written by text[from, from + count), or -1 if that is not all digits.
int digits(std::string_view text, std::size_t from, std::size_t count) {
  if (from + count > text.size()) return -1;
  int value = 0;
  for (char c : text.substr(from, count)) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

// "2026-03-01T12:00:00Z", "2026-03-01T13:00:00+01:00" -> seconds since the epoch.
std::optional<std::int64_t> parse_timestamp(std::string_view text) {
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  const int year = digits(text, 0, 4);
  const int month = digits(text, 5, 2);
  const int day = digits(text, 8, 2);
  const int hour = digits(text, 11, 2);
  const int minute = digits(text, 14, 2);
  const int second = digits(text, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
      second < 0 || second > 60) {
    return std::nullopt;
  }
  const std::string_view zone = text.substr(19);
  std::int64_t offset = 0;
  if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    const int zone_hours = digits(zone, 1, 2);
    const int zone_minutes = digits(zone, 4, 2);
    if (zone_hours < 0 || zone_hours > 23 || zone_minutes < 0 || zone_minutes > 59) {
      return std::nullopt;
    }
    offset = (zone_hours * 3600 + zone_minutes * 60) * (zone[0] == '-' ? -1 : 1);
  } else if (zone != "Z") {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{year},
                                         std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return std::nullopt;
  const std::int64_t days = std::chrono::sys_days{date}.time_since_epoch().count();
  return days * 86400 + hour * 3600 + minute * 60 + second - offset;
}

// Checks one file's `[[case]]` tables and turns them into PolicyTestCase values.
class CaseReader {
 public:
  CaseReader(std::shared_ptr<const SourceFile> file, Diagnostics& errors)
      : m_file(std::move(file)), m_errors(errors) {}

  std::vector<PolicyTestCase> read(const toml::table& root) {
    std::vector<PolicyTestCase> cases;
    for (auto&& [key, node] : root) {
      if (key.str() != "case") {
        error(key.source(), "test-unknown-key",
              fmt::format("unknown top-level key `{}`", key.str()),
              "a test file holds `[[case]]` tables only");
        continue;
      }
      const toml::array* array = node.as_array();
      if (array == nullptr || !array->is_array_of_tables()) {
        error(node.source(), "test-bad-value", "`case` must be an array of tables",
              "write each case as a `[[case]]` table");
        continue;
      }
      for (const toml::node& element : *array) {
        if (auto test = read_case(*element.as_table())) cases.push_back(std::move(*test));
      }
    }
    return cases;
  }

 private:
  Span span_of(const toml::source_region& region) const {
    if (region.begin.line == 0) return make_span(m_file, 0, 0);
    const std::size_t begin = offset_of(m_file->text, region.begin.line, region.begin.column);
    std::size_t end = begin;
    if (region.end.line == region.begin.line && region.end.column > region.begin.column) {
      end = offset_of(m_file->text, region.end.line, region.end.column);
    }
    return make_span(m_file, begin, end - begin);
  }

  void error(const toml::source_region& region, std::string code, std::string message,
             std::string help = {}) {
    Diagnostic d;
    d.code = std::move(code);
    d.span = span_of(region);
    d.message = std::move(message);
    d.help = std::move(help);
    m_errors.add(std::move(d));
    m_failed = true;
  }

  std::optional<std::string> string_value(const toml::node& node, std::string_view key) {
    if (const auto* value = node.as_string()) return value->get();
    error(node.source(), "test-bad-value", fmt::format("`{}` must be a string", key));
    return std::nullopt;
  }

  std::optional<std::vector<std::string>> string_list(const toml::node& node,
                                                      std::string_view key) {
    const toml::array* array = node.as_array();
    if (array == nullptr) {
      error(node.source(), "test-bad-value", fmt::format("`{}` must be a list of strings", key),
            fmt::format("e.g. `{} = [\"a\", \"b\"]`", key));
      return std::nullopt;
    }
    std::vector<std::string> items;
    for (const toml::node& element : *array) {
      const auto text = string_value(element, key);
      if (!text) return std::nullopt;
      items.push_back(*text);
    }
    return items;
  }

  std::optional<std::vector<Cidr>> cidr_list(const toml::node& node, std::string_view key) {
    const auto items = string_list(node, key);
    if (!items) return std::nullopt;
    std::vector<Cidr> cidrs;
    const toml::array& array = *node.as_array();
    for (std::size_t i = 0; i < items->size(); ++i) {
      const auto cidr = parse_cidr((*items)[i]);
      if (!cidr) {
        error(
            array[i].source(), "test-bad-value",
            fmt::format("`{}` is not an IP address or CIDR range", (*items)[i]),
            "write e.g. \"10.0.0.0/8\" or \"192.0.2.7\"; host bits below the prefix must be zero");
        return std::nullopt;
      }
      cidrs.push_back(*cidr);
    }
    return cidrs;
  }

  void read_principal_table(const toml::node& node, PolicyTestCase& test,
                            std::set<std::string>& seen) {
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      error(node.source(), "test-bad-value", "`principal` must be a table",
            "write e.g. `principal.name = \"ci\"`");
      return;
    }
    for (auto&& [key, value] : *table) {
      const std::string name(key.str());
      if (std::find(principal_keys.begin(), principal_keys.end(), name) == principal_keys.end()) {
        error(key.source(), "test-unknown-key", fmt::format("unknown key `principal.{}`", name),
              fmt::format("a principal has {}", quoted_list(principal_keys)));
        continue;
      }
      read_attribute(name, value, key.source(), test, seen);
    }
  }

  // `id`, `name`, `org`, `allowed_cidrs`: flat (except `name`, the case's) or under
  // `principal.`; each at most once.
  void read_attribute(const std::string& name, const toml::node& value,
                      const toml::source_region& where, PolicyTestCase& test,
                      std::set<std::string>& seen) {
    if (!seen.insert(name).second) {
      error(where, "test-bad-value", fmt::format("principal attribute `{}` is given twice", name),
            fmt::format("keep either `{0}` or `principal.{0}`", name));
      return;
    }
    PrincipalSpec& principal = test.principal;
    if (name == "allowed_cidrs") {
      if (auto cidrs = cidr_list(value, name)) principal.allowed_cidrs = std::move(*cidrs);
      return;
    }
    const auto text = string_value(value, name);
    if (!text) return;
    if (name == "id") principal.id = *text;
    if (name == "name") principal.name = *text;
    if (name == "org") principal.org = *text;
  }

  void read_request(const toml::node& node, PolicyTestCase& test) {
    const auto text = string_value(node, "request");
    if (!text) return;
    const std::string_view request = *text;
    const auto space = request.find(' ');
    const std::string_view method = request.substr(0, space);
    const std::string_view target =
        space == std::string_view::npos ? std::string_view{} : request.substr(space + 1);
    const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    if (method.empty() || target.empty() || std::any_of(target.begin(), target.end(), blank)) {
      error(node.source(), "test-bad-value",
            fmt::format("`request` must be `METHOD TARGET`, not `{}`", request),
            "e.g. `request = \"POST /api/v1/sessions/42/stop\"` (the target may end in ?query)");
      return;
    }
    test.method = std::string(method);
    test.target = std::string(target);
  }

  void read_headers(const toml::node& node, PolicyTestCase& test) {
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      error(node.source(), "test-bad-value", "`headers` must be a table of strings",
            "e.g. `headers = { \"X-Request-Id\" = \"abc\" }`");
      return;
    }
    for (auto&& [key, value] : *table) {
      if (const auto text = string_value(value, fmt::format("headers.{}", key.str()))) {
        test.headers.push_back({std::string(key.str()), *text});
      }
    }
  }

  void read_time(const toml::node& node, PolicyTestCase& test) {
    if (const auto* value = node.as_date_time()) {
      const toml::date_time& when = value->get();
      if (!when.offset) {
        error(node.source(), "test-bad-value", "`time` needs a UTC offset",
              "end it in `Z` (UTC) or an offset such as `+01:00`");
        return;
      }
      const std::string text = fmt::format(
          "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", int{when.date.year}, int{when.date.month},
          int{when.date.day}, int{when.time.hour}, int{when.time.minute}, int{when.time.second});
      test.time = *parse_timestamp(text) - std::int64_t{when.offset->minutes} * 60;
      return;
    }
    const toml::value<std::string>* value = node.as_string();
    const auto seconds = value != nullptr ? parse_timestamp(value->get()) : std::nullopt;
    if (!seconds) {
      error(node.source(), "test-bad-value", "`time` must be an ISO-8601 timestamp",
            "e.g. `time = 2026-03-01T12:00:00Z` (or the same in quotes)");
      return;
    }
    test.time = seconds;
  }

  void read_expectation(const toml::table& table, PolicyTestCase& test) {
    if (const toml::node* node = table.get("expect")) {
      const auto text = string_value(*node, "expect");
      if (text && *text != "allow" && *text != "deny") {
        error(node->source(), "test-bad-value",
              fmt::format("`expect` must be \"allow\" or \"deny\", not \"{}\"", *text));
      }
      test.expect_allow = text == "allow";
    }
    if (const toml::node* node = table.get("status")) {
      const auto* value = node->as_integer();
      if (value == nullptr || value->get() < 100 || value->get() > 599) {
        error(node->source(), "test-bad-value", "`status` must be an HTTP status such as 403");
      } else {
        test.status = static_cast<int>(value->get());
      }
    }
    if (const toml::node* node = table.get("reason")) {
      const auto text = string_value(*node, "reason");
      if (!text) return;
      test.reason = parse_reason(*text);
      if (!test.reason) {
        std::vector<std::string> codes;
        for (Reason reason : all_reasons) codes.emplace_back(to_string(reason));
        error(node->source(), "test-bad-value", fmt::format("unknown reason `{}`", *text),
              fmt::format("one of: {}", fmt::join(codes, ", ")));
        return;
      }
      if ((*test.reason == Reason::allowed) != test.expect_allow) {
        error(node->source(), "test-bad-value",
              fmt::format("reason `{}` contradicts `expect = \"{}\"`", *text,
                          test.expect_allow ? "allow" : "deny"));
      } else if (test.status && *test.status != status_for(*test.reason)) {
        error(node->source(), "test-bad-value",
              fmt::format("reason `{}` always has status {}, not {}", *text,
                          status_for(*test.reason), *test.status));
      }
    }
    if (const toml::node* node = table.get("message")) {
      if (auto text = string_value(*node, "message")) test.message = std::move(*text);
    }
  }

  std::optional<PolicyTestCase> read_case(const toml::table& table) {
    m_failed = false;
    PolicyTestCase test;
    const Span where = span_of(table.source());
    test.location = SourceLocation{m_file->name, where.line, where.column};

    for (auto&& [key, value] : table) {
      const std::string_view name = key.str();
      if (std::find(case_keys.begin(), case_keys.end(), name) == case_keys.end()) {
        error(key.source(), "test-unknown-key", fmt::format("unknown key `{}` in a case", name),
              fmt::format("a case has {}", quoted_list(case_keys)));
      }
    }
    for (std::string_view required : {"name", "request", "expect"}) {
      if (!table.contains(required)) {
        error(table.source(), "test-missing-key", fmt::format("case has no `{}`", required),
              required == "name"      ? "add e.g. `name = \"sessions:read may list sessions\"`"
              : required == "request" ? "add e.g. `request = \"GET /api/v1/sessions\"`"
                                      : "add `expect = \"allow\"` or `expect = \"deny\"`");
      }
    }
    if (const toml::node* node = table.get("name")) {
      if (auto text = string_value(*node, "name")) {
        if (text->empty()) error(node->source(), "test-bad-value", "`name` must not be empty");
        if (!m_names.insert(*text).second) {
          error(node->source(), "test-bad-value",
                fmt::format("case name \"{}\" is used twice in this file", *text),
                "give every case its own name");
        }
        test.name = std::move(*text);
      }
    }
    read_principal_kind(table, test);
    std::set<std::string> seen;
    for (std::string_view name : {"id", "org", "allowed_cidrs"}) {
      if (const toml::node* node = table.get(name)) {
        read_attribute(std::string(name), *node, node->source(), test, seen);
      }
    }
    if (const toml::node* node = table.get("principal")) read_principal_table(*node, test, seen);
    if (const toml::node* node = table.get("ip")) {
      if (const auto text = string_value(*node, "ip")) {
        test.ip = parse_ip(*text);
        if (!test.ip) {
          error(node->source(), "test-bad-value", fmt::format("`{}` is not an IP address", *text),
                "e.g. \"192.0.2.7\" or \"2001:db8::7\"");
        }
      }
    }
    if (const toml::node* node = table.get("request")) read_request(*node, test);
    if (const toml::node* node = table.get("headers")) read_headers(*node, test);
    if (const toml::node* node = table.get("time")) read_time(*node, test);
    read_expectation(table, test);
    if (m_failed) return std::nullopt;
    return test;
  }

  void read_principal_kind(const toml::table& table, PolicyTestCase& test) {
    const toml::node* scopes = table.get("scopes");
    const toml::node* role = table.get("role");
    if (scopes != nullptr && role != nullptr) {
      error(role->source(), "test-bad-value",
            "a case has `scopes` (an API key) or `role` (a user), not both",
            "drop one of them; with neither, the caller is anonymous");
      return;
    }
    if (scopes != nullptr) {
      if (auto names = string_list(*scopes, "scopes")) {
        test.principal.kind = PrincipalSpecKind::api_key;
        test.principal.scopes = std::move(*names);
      }
    } else if (role != nullptr) {
      if (auto name = string_value(*role, "role")) {
        test.principal.kind = PrincipalSpecKind::user;
        test.principal.role = std::move(*name);
      }
    }
  }

  std::shared_ptr<const SourceFile> m_file;
  Diagnostics& m_errors;
  std::set<std::string> m_names;
  bool m_failed = false;
};

void append_tests(LoadedTests& into, LoadedTests from) {
  into.errors.append(std::move(from.errors));
  for (auto& test : from.cases) into.cases.push_back(std::move(test));
}

std::string outcome_text(bool allowed, std::optional<int> status, std::optional<Reason> reason,
                         const std::optional<std::string>& message) {
  std::string text = allowed ? "allow" : "deny";
  if (status) text += fmt::format(" {}", *status);
  if (reason) text += fmt::format(" {}", to_string(*reason));
  if (message) text += fmt::format(" \"{}\"", *message);
  return text;
}

Principal make_principal(const Policy& policy, const PrincipalSpec& spec, std::string& problem) {
  Principal principal;
  switch (spec.kind) {
    case PrincipalSpecKind::anonymous:
      break;
    case PrincipalSpecKind::api_key: {
      std::vector<std::string> known;
      for (const Scope& scope : policy.scopes()) known.emplace_back(scope.name);
      std::vector<std::string> unknown;
      std::string suggestions;
      for (const std::string& scope : spec.scopes) {
        if (policy.find_scope(scope)) continue;
        unknown.push_back(fmt::format("`{}`", scope));
        if (const auto suggestion = closest_match(scope, known)) {
          suggestions += fmt::format("; {}did you mean `{}`?",
                                     spec.scopes.size() > 1 ? fmt::format("for `{}`, ", scope) : "",
                                     *suggestion);
        }
      }
      if (!unknown.empty()) {
        problem =
            fmt::format("the policy declares no scope {}{}", fmt::join(unknown, ", "), suggestions);
      }
      principal = policy.principal_for_key(spec.scopes);
      break;
    }
    case PrincipalSpecKind::user:
      if (policy.find_role(spec.role) == nullptr) {
        problem = fmt::format("the policy declares no role `{}`", spec.role);
        std::vector<std::string> roles;
        for (const Role& role : policy.roles()) roles.emplace_back(role.name);
        if (const auto suggestion = closest_match(spec.role, roles)) {
          problem += fmt::format("; did you mean `{}`?", *suggestion);
        }
      }
      principal = policy.principal_for_role(spec.role);
      break;
  }
  principal.set_identity(spec.id, spec.name, spec.org);
  principal.set_allowed_cidrs(spec.allowed_cidrs);
  return principal;
}

}  // namespace

std::optional<Reason> parse_reason(std::string_view code) noexcept {
  for (Reason reason : all_reasons) {
    if (to_string(reason) == code) return reason;
  }
  return std::nullopt;
}

LoadedTests parse_policy_tests(std::string_view file_name, std::string_view text) {
  LoadedTests loaded;
  auto file =
      std::make_shared<const SourceFile>(SourceFile{std::string(file_name), std::string(text)});
  toml::table root;
  try {
    root = toml::parse(file->text, file->name);
  } catch (const toml::parse_error& error) {
    const toml::source_region& region = error.source();
    Diagnostic d;
    d.code = "test-syntax";
    d.span = make_span(
        file,
        region.begin.line == 0 ? 0 : offset_of(file->text, region.begin.line, region.begin.column),
        0);
    std::string description(error.description());
    if (!description.empty()) description[0] = static_cast<char>(std::tolower(description[0]));
    d.message = fmt::format("invalid TOML: {}", description);
    loaded.errors.add(std::move(d));
    return loaded;
  }
  CaseReader reader(file, loaded.errors);
  std::vector<PolicyTestCase> cases = reader.read(root);
  if (cases.empty() && loaded.errors.empty()) {
    loaded.errors.add(file_diagnostic("no-test-cases", file->name, "file holds no `[[case]]`",
                                      "add cases, or remove the file"));
  }
  // A file with any error contributes nothing: half a file is not a test suite.
  if (loaded.errors.empty()) loaded.cases = std::move(cases);
  return loaded;
}

LoadedTests load_policy_tests(const std::vector<fs::path>& paths) {
  LoadedTests loaded;
  const FileKind kind{"test", ".toml", "no-test-files", max_test_file_bytes,
                      "split the cases into several files"};
  read_files(paths, kind, loaded.errors, [&](std::string name, std::string text) {
    append_tests(loaded, parse_policy_tests(name, text));
  });
  loaded.errors.sort();
  return loaded;
}

std::size_t PolicyTestReport::passed() const noexcept {
  return static_cast<std::size_t>(
      std::count_if(results.begin(), results.end(), [](const CaseResult& r) { return r.passed; }));
}

std::size_t PolicyTestReport::failed() const noexcept { return results.size() - passed(); }

PolicyTestReport run_policy_tests(const Policy& policy, const std::vector<PolicyTestCase>& cases,
                                  std::optional<std::int64_t> default_time) {
  PolicyTestReport report;
  report.time = default_time ? *default_time
                             : std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
  std::unordered_map<const Endpoint*, std::size_t> endpoint_index;
  for (std::size_t i = 0; i < policy.endpoints().size(); ++i) {
    endpoint_index.emplace(&policy.endpoints()[i], i);
  }
  std::unordered_map<const ForbidRule*, std::size_t> forbid_index;
  for (std::size_t i = 0; i < policy.forbids().size(); ++i) {
    forbid_index.emplace(&policy.forbids()[i], i);
  }
  std::vector<bool> touched(policy.endpoints().size(), false);
  std::vector<bool> fired(policy.forbids().size(), false);

  std::vector<Header> headers;
  for (const PolicyTestCase& test : cases) {
    CaseResult result;
    result.name = test.name;
    result.location = test.location;
    result.request = fmt::format("{} {}", test.method, test.target);
    const Principal principal = make_principal(policy, test.principal, result.problem);

    headers.clear();
    for (const HeaderSpec& header : test.headers) headers.push_back({header.name, header.value});
    Request request;
    request.method = test.method;
    request.target = test.target;
    request.ip = test.ip;
    request.headers = headers;
    request.time = test.time ? *test.time : report.time;
    const Decision decision = policy.decide(principal, request);

    if (const auto it = endpoint_index.find(decision.endpoint()); it != endpoint_index.end()) {
      touched[it->second] = true;
    }
    if (const auto it = forbid_index.find(decision.forbid()); it != forbid_index.end()) {
      fired[it->second] = true;
    }
    if (decision.rule() != nullptr && decision.rule()->known()) result.rule = *decision.rule();

    // An allow's message ("Allowed") says nothing a reader needs.
    const std::optional<std::string> message = decision.allowed() || decision.message().empty()
                                                   ? std::nullopt
                                                   : std::optional<std::string>(decision.message());
    result.actual = outcome_text(decision.allowed(), decision.status(), decision.reason(), message);
    result.expected = outcome_text(test.expect_allow, test.status, test.reason, test.message);
    result.passed = result.problem.empty() && decision.allowed() == test.expect_allow &&
                    (!test.status || *test.status == decision.status()) &&
                    (!test.reason || *test.reason == decision.reason()) &&
                    (!test.message || *test.message == decision.message());
    report.results.push_back(std::move(result));
  }

  for (std::size_t i = 0; i < touched.size(); ++i) {
    if (touched[i]) continue;
    const Endpoint& endpoint = policy.endpoints()[i];
    report.uncovered_endpoints.push_back(
        {fmt::format("{} {}", to_string(endpoint.method), endpoint.path_template),
         endpoint.location});
  }
  for (std::size_t i = 0; i < fired.size(); ++i) {
    if (fired[i]) continue;
    const ForbidRule& rule = policy.forbids()[i];
    report.unexercised_forbids.push_back(
        {fmt::format("forbid {} {}", to_string(rule.method), rule.path_template), rule.location});
  }
  return report;
}

PolicyTestReport run_policy_tests(const Policy& policy, const std::vector<fs::path>& paths,
                                  std::optional<std::int64_t> default_time) {
  LoadedTests loaded = load_policy_tests(paths);
  PolicyTestReport report = run_policy_tests(policy, loaded.cases, default_time);
  report.errors = std::move(loaded.errors);
  return report;
}

}  // namespace scopegate
