#include "scopegate/source_location.hpp"

namespace scopegate {

std::string to_string(const SourceLocation& location) {
  std::string text(location.file);
  if (location.known()) text += ':' + std::to_string(location.line);
  return text;
}

}  // namespace scopegate
