#include "scopegate/version.hpp"

namespace scopegate {

std::string_view library_version() noexcept { return SCOPEGATE_VERSION_STRING; }

}  // namespace scopegate
