// Result<T, E>: a value or an error, for every fallible call that crosses a module
// boundary (g++ 12 has no std::expected in C++20). Holds exactly one of the two.
// Not thread-safe beyond what T and E are; owns what it holds.
#pragma once

#include <utility>
#include <variant>

namespace scopegate {

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

template <typename T, typename E>
class Result {
 public:
  Result(T value) : m_state(std::in_place_index<0>, std::move(value)) {}
  template <typename U>
  Result(Unexpected<U> error) : m_state(std::in_place_index<1>, std::move(error.error)) {}

  bool has_value() const noexcept { return m_state.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return std::get<0>(m_state); }
  const T& value() const& { return std::get<0>(m_state); }
  T&& value() && { return std::get<0>(std::move(m_state)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  E& error() & { return std::get<1>(m_state); }
  const E& error() const& { return std::get<1>(m_state); }
  E&& error() && { return std::get<1>(std::move(m_state)); }

 private:
  std::variant<T, E> m_state;
};

}  // namespace scopegate
