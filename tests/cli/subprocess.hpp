// Runs a program to completion and captures its stdout, stderr and exit status: what the
// CLI tests need to drive the real `scopegate` binary, and where that binary is.
// Blocking; not thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace scopegate::test {

// The `scopegate` binary under test (SCOPEGATE_EXE, from tests/cli/CMakeLists.txt).
inline const std::string exe = SCOPEGATE_EXE;

struct RunResult {
  int status = -1;  // the exit status, or -1 when the program did not exit normally
  std::string out;
  std::string err;
};

// Runs `program` with `args` (argv[1...]) in `working_dir` (the current one when empty),
// its standard input read from `stdin_file` (inherited when empty).
RunResult run(const std::string& program, const std::vector<std::string>& args,
              const std::filesystem::path& working_dir = {},
              const std::filesystem::path& stdin_file = {});

}  // namespace scopegate::test
