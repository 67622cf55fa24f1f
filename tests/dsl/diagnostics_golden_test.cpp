// Golden files: for every diagnostic code, tests/diagnostics/CODE.policy is compiled and
// its rendering must equal tests/diagnostics/CODE.expected byte for byte, with exactly
// one diagnostic of that code. Run with SCOPEGATE_UPDATE_GOLDENS=1 to rewrite the
// .expected files after a deliberate change (then review the diff).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "scopegate/dsl.hpp"

namespace {

namespace fs = std::filesystem;

const fs::path goldens = "tests/diagnostics";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::set<std::string> codes_with(std::string_view extension) {
  std::set<std::string> codes;
  for (const auto& entry : fs::directory_iterator(goldens)) {
    if (entry.path().extension() == extension) codes.insert(entry.path().stem().string());
  }
  return codes;
}

}  // namespace

TEST_CASE("every diagnostic code renders exactly as its golden file") {
  const bool update = std::getenv("SCOPEGATE_UPDATE_GOLDENS") != nullptr;
  const auto codes = codes_with(".expected");
  REQUIRE(codes.size() >= 20);
  for (const std::string& code : codes) {
    // Relative to the repo root (ctest's working directory), as a user would type it.
    const fs::path policy = goldens / (code + ".policy");
    const fs::path expected_path = goldens / (code + ".expected");
    // A warning's golden compiles (with its warning); an error's does not. The style
    // lints run too (`check --style`), so that their code has a golden like the others.
    auto compiled = scopegate::check_files({policy}, scopegate::Lints::warnings_and_style);
    INFO("golden " << policy.generic_string());
    REQUIRE_FALSE(compiled.diagnostics.empty());
    const scopegate::Diagnostics& diagnostics = compiled.diagnostics;
    CHECK(compiled.policy.has_value() == (diagnostics.error_count() == 0));
    const std::string rendered = diagnostics.render();
    if (update) {
      std::ofstream(expected_path, std::ios::binary) << rendered;
      continue;
    }
    CHECK(rendered == read_file(expected_path));
    REQUIRE(diagnostics.size() == 1);
    CHECK(diagnostics.items().front().code == code);
  }
}

TEST_CASE("every golden policy has an expected output") {
  auto policies = codes_with(".policy");
  const auto expected = codes_with(".expected");
  // file-not-found is the one code whose policy must not exist.
  CHECK(policies.count("file-not-found") == 0);
  policies.insert("file-not-found");
  CHECK(policies == expected);
}

TEST_CASE("every diagnostic code is documented, and every documented code has a golden") {
  const std::string docs = read_file("docs/diagnostics.md");
  std::set<std::string> documented;
  const std::regex heading(R"(^## `([a-z-]+)`)", std::regex::multiline);
  for (auto it = std::sregex_iterator(docs.begin(), docs.end(), heading);
       it != std::sregex_iterator(); ++it) {
    documented.insert((*it)[1]);
  }
  CHECK(documented == codes_with(".expected"));
}

TEST_CASE("every fixed example in docs/diagnostics.md compiles cleanly") {
  const std::string docs = read_file("docs/diagnostics.md");
  const std::string marker = "Fixed:\n\n```\n";
  std::size_t count = 0;
  for (std::size_t at = docs.find(marker); at != std::string::npos;
       at = docs.find(marker, at + 1)) {
    const std::size_t start = at + marker.size();
    const std::size_t end = docs.find("```", start);
    REQUIRE(end != std::string::npos);
    const std::string example = docs.substr(start, end - start);
    auto compiled = scopegate::check_source("fixed.policy", example);
    INFO(example << compiled.diagnostics.render());
    CHECK(compiled.policy.has_value());
    CHECK(compiled.diagnostics.warning_count() == 0);
    ++count;
  }
  CHECK(count >= 17);
}
