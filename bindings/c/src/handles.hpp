// What the C handles of scopegate.h hold, and the one guard that keeps C++ exceptions
// from crossing into C. Internal to bindings/c.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "scopegate.h"
#include "scopegate/engine.hpp"

namespace scopegate::c {

// 1, 2, 3, ...: a process-wide count (0 is no generation).
std::uint64_t next_generation() noexcept;

}  // namespace scopegate::c

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
  explicit scopegate_engine(scopegate::Policy policy) : engine(std::move(policy)) {}

  scopegate::Engine engine;
  // Which policy the engine holds, as a number no other engine or policy ever has in this
  // process (scopegate::c::next_generation()); set after every replace, under
  // `replacing`, so that the numbers follow the order the policies were put in. A
  // decision that last loaded the policy under the number it reads now may keep it.
  std::atomic<std::uint64_t> generation{scopegate::c::next_generation()};
  std::mutex replacing;
};

struct scopegate_principal {
  scopegate::Principal principal;
};

struct scopegate_decision {
  std::string target;  // the decided target: the parameters' values point into it
  std::shared_ptr<const scopegate::Policy> policy;  // the policy `decision` borrows from
  std::uint64_t generation = 0;  // the engine's generation when `policy` was loaded
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
