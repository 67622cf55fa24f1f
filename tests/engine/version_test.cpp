// scopegate/version.hpp: made by CMake from project(VERSION), so it can only agree with
// the top-level CMakeLists.txt; this checks that it does, and that the library agrees.
#include <catch2/catch.hpp>

#include <regex>
#include <string>

#include "scopegate/version.hpp"
#include "test_files.hpp"

TEST_CASE("version: the header and the library carry the project version of CMakeLists.txt") {
  const std::string cmake =
      scopegate::testing::read_file(std::string(SCOPEGATE_SOURCE_DIR) + "/CMakeLists.txt");
  std::smatch match;
  REQUIRE(std::regex_search(cmake, match,
                            std::regex(R"(project\(scopegate VERSION (\d+)\.(\d+)\.(\d+))")));
  CHECK(SCOPEGATE_VERSION_MAJOR == std::stoi(match[1].str()));
  CHECK(SCOPEGATE_VERSION_MINOR == std::stoi(match[2].str()));
  CHECK(SCOPEGATE_VERSION_PATCH == std::stoi(match[3].str()));
  const std::string joined = match[1].str() + "." + match[2].str() + "." + match[3].str();
  CHECK(std::string(SCOPEGATE_VERSION_STRING) == joined);
  CHECK(scopegate::library_version() == SCOPEGATE_VERSION_STRING);
  // Usable in the preprocessor, as a consumer's feature check would.
#if SCOPEGATE_VERSION_MAJOR * 10000 + SCOPEGATE_VERSION_MINOR * 100 + SCOPEGATE_VERSION_PATCH < 100
  FAIL("the version is older than 0.1.0");
#endif
}
