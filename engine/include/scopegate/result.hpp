// Result<T, E>: a value or an error, for every fallible call that crosses a module
// boundary (g++ 12 has no std::expected in C++20). Holds exactly one of the two.
// Asking a Result for what it does not hold (value() or `*` on an error, error() on a
// value) throws scopegate::bad_result_access, whose what() names the error held.
// Not thread-safe beyond what T and E are; owns what it holds.
#pragma once

#include <concepts>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "scopegate/export.hpp"

namespace scopegate {

// Thrown by Result on a wrong access, e.g. "scopegate::Result: value() on an error:
// policy.policy:3:7: error: unknown scope `sesions:read` in role `member`".
class SCOPEGATE_EXPORT bad_result_access : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Wraps an error so that Result<T, E> can be built from it unambiguously, even when
// T and E are the same type.
template <typename E>
struct Unexpected {
  E error;
};

template <typename E>
Unexpected<std::decay_t<E>> unexpected(E&& error) {
  return {std::forward<E>(error)};
}

namespace detail {

// What bad_result_access says about an error: text convertible to a string view, the
// `describe_error(e)` its type provides (found by argument-dependent lookup), or its
// `message` member.
template <typename E>
std::string describe_result_error(const E& error) {
  if constexpr (std::is_convertible_v<const E&, std::string_view>) {
    return std::string(std::string_view(error));
  } else if constexpr (requires {
                         { describe_error(error) } -> std::convertible_to<std::string>;
                       }) {
    return describe_error(error);
  } else if constexpr (requires {
                         { error.message } -> std::convertible_to<std::string_view>;
                       }) {
    return std::string(std::string_view(error.message));
  } else {
    return "an error that has no describe_error()";
  }
}

template <typename E>
[[noreturn]] void throw_value_of_error(const E& error) {
  throw bad_result_access("scopegate::Result: value() on an error: " +
                          describe_result_error(error));
}

[[noreturn]] inline void throw_error_of_value() {
  throw bad_result_access("scopegate::Result: error() on a value");
}

}  // namespace detail

template <typename T, typename E>
class Result {
 public:
  Result(T value) : m_state(std::in_place_index<0>, std::move(value)) {}
  template <typename U>
  Result(Unexpected<U> error) : m_state(std::in_place_index<1>, std::move(error.error)) {}

  bool has_value() const noexcept { return m_state.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return require_value(), *std::get_if<0>(&m_state); }
  const T& value() const& { return require_value(), *std::get_if<0>(&m_state); }
  T&& value() && { return require_value(), std::move(*std::get_if<0>(&m_state)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The value, or `fallback` when this holds an error.
  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? *std::get_if<0>(&m_state) : static_cast<T>(std::forward<U>(fallback));
  }
  template <typename U>
  T value_or(U&& fallback) && {
    return has_value() ? std::move(*std::get_if<0>(&m_state))
                       : static_cast<T>(std::forward<U>(fallback));
  }

  E& error() & { return require_error(), *std::get_if<1>(&m_state); }
  const E& error() const& { return require_error(), *std::get_if<1>(&m_state); }
  E&& error() && { return require_error(), std::move(*std::get_if<1>(&m_state)); }

 private:
  void require_value() const {
    if (!has_value()) [[unlikely]]
      detail::throw_value_of_error(*std::get_if<1>(&m_state));
  }
  void require_error() const {
    if (has_value()) [[unlikely]]
      detail::throw_error_of_value();
  }

  std::variant<T, E> m_state;
};

}  // namespace scopegate
