// The codes of a compile's diagnostics, in order: what the dsl tests compare.
#pragma once

#include <string>
#include <vector>

#include "scopegate/dsl.hpp"

namespace scopegate::testing {

inline std::vector<std::string> codes_of(const scopegate::Diagnostics& diagnostics) {
  std::vector<std::string> codes;
  for (const auto& d : diagnostics.items()) codes.push_back(d.code);
  return codes;
}

}  // namespace scopegate::testing
