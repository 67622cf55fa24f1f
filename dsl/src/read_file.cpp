#include "read_file.hpp"

#include <cstdio>

namespace scopegate {

bool read_whole_file(const std::filesystem::path& path, std::string& out, std::size_t limit) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return false;
  char buffer[1 << 16];
  bool ok = true;
  for (;;) {
    const std::size_t n = std::fread(buffer, 1, sizeof buffer, file);
    out.append(buffer, n);
    if (n < sizeof buffer) {
      ok = std::ferror(file) == 0;
      break;
    }
    if (out.size() > limit) break;
  }
  std::fclose(file);
  return ok;
}

}  // namespace scopegate
