#include "test_report.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iterator>
#include <map>
#include <string_view>
#include <vector>

#include "output.hpp"

namespace scopegate::cli {

namespace {

using Json = nlohmann::ordered_json;

// Coverage of a partial run (a test file did not load, or --filter left cases out) would
// only mislead.
bool whole_run(const TestRun& run) { return run.report.errors.empty() && run.filter.empty(); }

std::string rule_text(const CaseResult& result) {
  return result.rule ? to_string(*result.rule) : std::string("-");
}

// "expected ..., got ... (problem)": why a case failed, in one line.
std::string failure_text(const CaseResult& result) {
  std::string text = fmt::format("expected {}, got {}", result.expected, result.actual);
  if (!result.problem.empty()) text += fmt::format(" ({})", result.problem);
  return text;
}

std::string summary_line(const TestRun& run) {
  std::string line = fmt::format("{} passed, {} failed", run.report.passed(), run.report.failed());
  if (!run.filter.empty()) line += fmt::format(", {} filtered out", run.filtered_out);
  return line + '\n';
}

Json uncovered_json(const std::vector<Uncovered>& items) {
  Json array = Json::array();
  for (const Uncovered& item : items) {
    array.push_back(
        {{"route", item.route}, {"file", item.location.file}, {"line", item.location.line}});
  }
  return array;
}

// Text as XML character data or an attribute value: the five markup characters escaped,
// and the control characters XML 1.0 cannot carry (all below 0x20 but tab, newline and
// carriage return) written as U+FFFD.
std::string xml_escape(std::string_view text) {
  static constexpr std::pair<char, std::string_view> entities[] = {
      {'&', "&amp;"}, {'<', "&lt;"}, {'>', "&gt;"}, {'"', "&quot;"}, {'\'', "&apos;"}};
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto* entity = std::find_if(std::begin(entities), std::end(entities),
                                      [c](const auto& pair) { return pair.first == c; });
    if (entity != std::end(entities)) {
      out += entity->second;
    } else if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      out += "\xEF\xBF\xBD";
    } else {
      out += c;
    }
  }
  return out;
}

// One <testsuite>: a test file's cases, or the errors that kept it from loading.
struct Suite {
  std::string name;
  std::vector<const CaseResult*> cases;
  Diagnostics errors;
  std::size_t failures() const {
    return static_cast<std::size_t>(std::count_if(
        cases.begin(), cases.end(), [](const CaseResult* result) { return !result->passed; }));
  }
  std::size_t tests() const { return cases.size() + (errors.empty() ? 0 : 1); }
};

// The suites in the order their files were first reached: case files, then the files
// that had errors (an error about no file at all goes to a suite named `scopegate test`).
std::vector<Suite> suites_of(const PolicyTestReport& report) {
  std::vector<Suite> suites;
  std::map<std::string, std::size_t, std::less<>> index;
  const auto suite = [&](const std::string& name) -> Suite& {
    const auto [it, added] = index.try_emplace(name, suites.size());
    if (added) suites.push_back(Suite{name, {}, {}});
    return suites[it->second];
  };
  for (const CaseResult& result : report.results)
    suite(result.location.file).cases.push_back(&result);
  for (const Diagnostic& error : report.errors.items()) {
    suite(error.span.file ? error.span.file->name : std::string("scopegate test"))
        .errors.add(error);
  }
  return suites;
}

void append_testcase(std::string& xml, const CaseResult& result) {
  xml += fmt::format(R"(    <testcase name="{}" classname="{}" file="{}" line="{}")",
                     xml_escape(result.name), xml_escape(result.location.file),
                     xml_escape(result.location.file), result.location.line);
  if (result.passed) {
    xml += "/>\n";
    return;
  }
  const std::string message = failure_text(result);
  xml += fmt::format(
      ">\n      <failure message=\"{}\" type=\"{}\">{}: {}: {}\nrule: {}</failure>\n"
      "    </testcase>\n",
      xml_escape(message), result.problem.empty() ? "wrong-decision" : "bad-case",
      xml_escape(to_string(result.location)), xml_escape(result.request), xml_escape(message),
      xml_escape(rule_text(result)));
}

}  // namespace

std::string test_text(const TestRun& run) {
  std::string out;
  for (const CaseResult& result : run.report.results) {
    if (result.passed) continue;
    out += fmt::format("FAIL {}: {}: {}: {} [rule {}]\n", to_string(result.location), result.name,
                       result.request, failure_text(result), rule_text(result));
  }
  if (whole_run(run)) {
    for (const Uncovered& endpoint : run.report.uncovered_endpoints) {
      out += fmt::format("not covered: {} ({})\n", endpoint.route, to_string(endpoint.location));
    }
    for (const Uncovered& rule : run.report.unexercised_forbids) {
      out += fmt::format("never refused a case: {} ({})\n", rule.route, to_string(rule.location));
    }
  }
  out += fmt::format("time: {}, for the cases that give none\n", time_text(run.default_time));
  return out + summary_line(run);
}

nlohmann::ordered_json test_json(const TestRun& run) {
  const PolicyTestReport& report = run.report;
  Json object = Json::object();
  object["passed"] = report.passed();
  object["failed"] = report.failed();
  object["filter"] = run.filter.empty() ? Json(nullptr) : Json(run.filter);
  object["filtered_out"] = run.filtered_out;
  object["time"] = time_json(run.default_time);
  Json cases = Json::array();
  for (const CaseResult& result : report.results) {
    cases.push_back({{"name", result.name},
                     {"file", result.location.file},
                     {"line", result.location.line},
                     {"request", result.request},
                     {"passed", result.passed},
                     {"expected", result.expected},
                     {"actual", result.actual},
                     {"problem", result.problem.empty() ? Json(nullptr) : Json(result.problem)},
                     {"rule", result.rule ? Json(to_string(*result.rule)) : Json(nullptr)}});
  }
  object["cases"] = std::move(cases);
  object["uncovered_endpoints"] =
      whole_run(run) ? uncovered_json(report.uncovered_endpoints) : Json(nullptr);
  object["unexercised_forbids"] =
      whole_run(run) ? uncovered_json(report.unexercised_forbids) : Json(nullptr);
  object["errors"] = to_json(report.errors);
  return object;
}

std::string test_junit(const TestRun& run) {
  const std::vector<Suite> suites = suites_of(run.report);
  std::size_t tests = 0;
  std::size_t failures = 0;
  std::size_t errors = 0;
  for (const Suite& suite : suites) {
    tests += suite.tests();
    failures += suite.failures();
    errors += suite.errors.empty() ? 0 : 1;
  }
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  if (!run.filter.empty()) {
    // "--" may not appear inside an XML comment.
    std::string filter = xml_escape(run.filter);
    for (auto at = filter.find("--"); at != std::string::npos; at = filter.find("--", at)) {
      filter.replace(at, 2, "- -");
    }
    xml += fmt::format("<!-- filter \"{}\": {} cases filtered out -->\n", filter, run.filtered_out);
  }
  xml += fmt::format(
      "<testsuites name=\"scopegate test\" tests=\"{}\" failures=\"{}\" errors=\"{}\" "
      "skipped=\"0\">\n",
      tests, failures, errors);
  for (const Suite& suite : suites) {
    xml += fmt::format(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\">\n"
        "    <properties>\n"
        "      <property name=\"request-time\" value=\"{}\"/>\n"
        "    </properties>\n",
        xml_escape(suite.name), suite.tests(), suite.failures(), suite.errors.empty() ? 0 : 1,
        xml_escape(time_text(run.default_time)));
    for (const CaseResult* result : suite.cases) append_testcase(xml, *result);
    if (!suite.errors.empty()) {
      xml += fmt::format(
          "    <testcase name=\"the file loads\" classname=\"{}\" file=\"{}\">\n"
          "      <error message=\"{} error{} in the test file\" type=\"bad-test-file\">{}</error>\n"
          "    </testcase>\n",
          xml_escape(suite.name), xml_escape(suite.name), suite.errors.error_count(),
          suite.errors.error_count() == 1 ? "" : "s", xml_escape(suite.errors.render()));
    }
    xml += "  </testsuite>\n";
  }
  xml += "</testsuites>\n";
  return xml;
}

}  // namespace scopegate::cli
