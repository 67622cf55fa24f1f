// The replay driver of the normal test suite: feeds every file of the folders given on
// the command line (sorted by name; a missing folder counts as empty) to the target's
// LLVMFuzzerTestOneInput, without libFuzzer. Each file's name is printed before it runs,
// so that a crash names its input. Exits 1 when the folders hold no file at all: a
// replay of nothing would pass whatever the target does.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(argv[i], error)) {
      if (entry.is_regular_file() && entry.path().filename().string().front() != '.') {
        inputs.push_back(entry.path());
      }
    }
  }
  std::sort(inputs.begin(), inputs.end());
  if (inputs.empty()) {
    std::cerr << "fuzz replay: no input files in the folders given\n";
    return 1;
  }
  for (const auto& path : inputs) {
    std::cerr << "replaying " << path.string() << '\n';
    std::ifstream in(path, std::ios::binary);
    if (!in.is_open()) {
      std::cerr << "fuzz replay: cannot read " << path.string() << '\n';
      return 1;
    }
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in), {}};
    // Copied into a buffer of exactly its size, as libFuzzer does, so that a read past
    // the end is a read past the end here too.
    const auto data = std::make_unique<std::uint8_t[]>(bytes.size());
    std::copy(bytes.begin(), bytes.end(), data.get());
    LLVMFuzzerTestOneInput(data.get(), bytes.size());
  }
  std::cerr << "fuzz replay: " << inputs.size() << " inputs, no crash\n";
  return 0;
}
