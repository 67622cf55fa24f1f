// What the C handles of scopegate.h hold, and the one guard that keeps C++ exceptions
// from crossing into C. Internal to bindings/c.
#pragma once

#include <new>
#include <optional>
#include <string>
#include <vector>

#include "scopegate.h"
#include "scopegate/engine.hpp"

struct scopegate_policy {
  std::optional<scopegate::Policy> policy;  // empty once an engine took it
};

struct scopegate_diagnostics {
  struct Record {
    std::string file, code, message, help;
    std::uint32_t line = 0, column = 0;
    scopegate_severity severity = SCOPEGATE_SEVERITY_ERROR;
  };
  std::vector<Record> records;
  std::size_t error_count = 0;
  std::string text;  // rendered once, when made
};

struct scopegate_engine {
  scopegate::Engine engine;
};

struct scopegate_principal {
  scopegate::Principal principal;
};

struct scopegate_decision {
  std::string target;  // the decided target: the parameters' values point into it
  scopegate::Decision decision;
};

namespace scopegate::c {

// Runs `body` (which returns a scopegate_status); an exception becomes a status.
template <typename Body>
scopegate_status guarded(Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return SCOPEGATE_ERROR_OUT_OF_MEMORY;
  } catch (...) {
    return SCOPEGATE_ERROR_INTERNAL;
  }
}

inline scopegate_string view(std::string_view text) noexcept {
  return {text.empty() ? "" : text.data(), text.size()};
}

}  // namespace scopegate::c
