// How `scopegate test` prints a run of policy tests: text for people (FAIL lines, coverage,
// summary), one JSON object for scripts, or JUnit XML for CI systems (one <testsuite> per
// test file). Pure functions of the report; single-threaded use.
#pragma once

#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "request_time.hpp"
#include "scopegate/dsl/policy_tests.hpp"

namespace scopegate::cli {

// A finished run: the report, the --filter that chose its cases and how many it left out,
// and the time a case without `time` was decided at.
struct TestRun {
  const PolicyTestReport& report;
  std::string filter;            // empty: every case ran
  std::size_t filtered_out = 0;  // cases whose name does not contain `filter`
  RequestTime default_time;
};

// The text output: FAIL lines, coverage (a whole, unfiltered run only), the time line and
// `N passed, M failed[, K filtered out]`.
std::string test_text(const TestRun& run);

// {passed, failed, filter, filtered_out, time: {value, source}, cases: [{name, file, line,
//  request, passed, expected, actual, problem, rule}], uncovered_endpoints and
//  unexercised_forbids ([{route, file, line}], null when not computed), errors: [...]}.
nlohmann::ordered_json test_json(const TestRun& run);

// A JUnit XML document: <testsuites> with the counts, one <testsuite> per test file with
// a <testcase> per case (a <failure> when it failed), and for a file that did not load a
// <testcase> holding an <error> with its diagnostics.
std::string test_junit(const TestRun& run);

}  // namespace scopegate::cli
