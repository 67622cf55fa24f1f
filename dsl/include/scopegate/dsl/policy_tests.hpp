// Policy tests: TOML files of `[[case]]` tables, each naming a principal, a request and
// the decision it must get. load_policy_tests() reads and checks the files (errors are
// Diagnostics with file:line:col, as for policies); run_policy_tests() decides every
// case against a compiled Policy and reports the failures and the endpoints and forbid
// rules no case reached. The format is documented in docs/tools.md. Values own what they
// hold; the functions are reentrant and keep nothing between calls. toml++ stays private.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scopegate/condition.hpp"
#include "scopegate/decision.hpp"
#include "scopegate/dsl/diagnostic.hpp"
#include "scopegate/export.hpp"
#include "scopegate/ip.hpp"
#include "scopegate/method.hpp"
#include "scopegate/policy.hpp"
#include "scopegate/source_location.hpp"

namespace scopegate {

enum class PrincipalSpecKind : std::uint8_t { anonymous, api_key, user };

// Who asks, as a test case names it; turned into a Principal by the policy under test.
struct PrincipalSpec {
  PrincipalSpecKind kind = PrincipalSpecKind::anonymous;
  std::vector<std::string> scopes;  // api_key: the key's scopes (may be empty)
  std::string role;                 // user: the role
  std::string id;
  std::string name;
  std::string org;
  std::vector<Cidr> allowed_cidrs;
};

struct HeaderSpec {
  std::string name;
  std::string value;
};

// A source location that owns its file name: cases and reports outlive the test files
// they were read from and the Policy they ran against (whose locations are views).
struct TestLocation {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;

  TestLocation() = default;
  TestLocation(const SourceLocation& location)  // implicit: copies the name the view borrows
      : file(location.file), line(location.line), column(location.column) {}
  SourceLocation view() const noexcept { return {file, line, column}; }
  friend bool operator==(const TestLocation&, const TestLocation&) = default;
};

// "policies/tests/key-scopes.toml:12"
inline std::string to_string(const TestLocation& location) { return to_string(location.view()); }

struct PolicyTestCase {
  std::string name;
  TestLocation location;  // the `[[case]]` line
  PrincipalSpec principal;
  std::string method;
  std::string target;  // path, optionally with `?query`
  std::optional<IpAddress> ip;
  std::vector<HeaderSpec> headers;
  std::optional<std::int64_t> time;  // seconds since the epoch, UTC
  // What the decision must be: allowed or not, and optionally its exact status,
  // reason and message.
  bool expect_allow = false;
  std::optional<int> status;
  std::optional<Reason> reason;
  std::optional<std::string> message;
};

// Reads every given `.toml` file, and every `*.toml` file directly inside each given
// directory (sorted by name). A file with any error contributes no case; every error of
// every file is reported. Missing paths and empty directories are errors too.
struct LoadedTests {
  std::vector<PolicyTestCase> cases;
  Diagnostics errors;
};
SCOPEGATE_EXPORT LoadedTests load_policy_tests(const std::vector<std::filesystem::path>& paths);
// One in-memory test file; `file_name` is what locations and diagnostics print.
SCOPEGATE_EXPORT LoadedTests parse_policy_tests(std::string_view file_name, std::string_view text);

// "missing_scope" -> Reason::missing_scope: the inverse of to_string(Reason).
SCOPEGATE_EXPORT std::optional<Reason> parse_reason(std::string_view code) noexcept;

struct CaseResult {
  std::string name;
  TestLocation location;  // of the case
  std::string request;    // "GET /api/v1/sessions"
  bool passed = false;
  std::string expected;  // what the case asked for: "deny 403 missing_scope \"...\""
  std::string actual;    // the decision, in the same form: status, reason and (deny) message
  // Why it failed when it was not the decision: an unknown role or scope in the case.
  std::string problem;
  std::optional<TestLocation> rule;  // the deciding rule, when there is one
};

// An endpoint (or forbid rule) that no case's request reached.
struct Uncovered {
  std::string route;  // "GET /api/v1/sessions", "forbid * /api/v1/**"
  TestLocation location;
};

struct SCOPEGATE_EXPORT PolicyTestReport {
  std::vector<CaseResult> results;  // in case order
  std::vector<Uncovered> uncovered_endpoints;
  std::vector<Uncovered> unexercised_forbids;  // forbid rules that refused no case
  Diagnostics errors;                          // from loading the test files
  // The time a case without `time` was decided at: the one given to run_policy_tests(),
  // or the clock, read once when the run began (as `scopegate explain` does).
  std::int64_t time = 0;

  std::size_t passed() const noexcept;
  std::size_t failed() const noexcept;
  // Every case passed and every file loaded (coverage does not count).
  bool ok() const noexcept { return failed() == 0 && errors.empty(); }
};

// Decides every case against `policy`. Cases are independent: the order does not matter.
// A case without `time` is decided at `default_time` (seconds since the epoch, UTC), or
// when none is given at the clock's time, read once for the whole run.
SCOPEGATE_EXPORT PolicyTestReport
run_policy_tests(const Policy& policy, const std::vector<PolicyTestCase>& cases,
                 std::optional<std::int64_t> default_time = std::nullopt);
// load_policy_tests() then run_policy_tests(); load errors land in the report.
SCOPEGATE_EXPORT PolicyTestReport
run_policy_tests(const Policy& policy, const std::vector<std::filesystem::path>& paths,
                 std::optional<std::int64_t> default_time = std::nullopt);

}  // namespace scopegate
