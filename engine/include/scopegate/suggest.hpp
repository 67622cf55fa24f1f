// Did-you-mean: the candidate closest to a misspelt word, by edit distance (optimal
// string alignment, so a swap of two neighbours costs one). Shared by the condition
// checker, the policy compiler and the command line. Pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scopegate/export.hpp"

namespace scopegate {

SCOPEGATE_EXPORT std::size_t edit_distance(std::string_view a, std::string_view b);

// The closest candidate within a distance that scales with the word's length (1 for
// short words, up to a third of the length), or nothing. Ties go to the earlier one.
SCOPEGATE_EXPORT std::optional<std::string> closest_match(
    std::string_view word, const std::vector<std::string>& candidates);

}  // namespace scopegate
