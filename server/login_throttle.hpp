// LoginThrottle: exponential back-off for password guessing. Failed sign-ins are counted
// twice: per account and client address together, and per client address alone (any
// account). Up to `free_failures` of a count cost nothing; after that each attempt must
// wait base_delay * 2^(failures - free_failures), at most max_delay, counted from the
// latest failure. A count is forgotten once `window` passes without a failure, and a
// successful sign-in clears its account-and-address count. An attempt is counted as a
// failure when it begins (begin(), before its password is hashed), in the same step
// that allows it, so that attempts in flight at once cannot pass the limit together; a
// success takes its count back. A throttled attempt is refused before any password is
// hashed and is not a failure itself.
//
// Why the account's count is kept per address: an account-wide count would let anyone
// who knows an email lock its owner out. With per-pair counts, the owner's correct
// password from another address is never delayed by an attacker's failures. The
// per-address count stops one address from spraying guesses over many accounts.
//
// Memory: one entry per pair and per address with a failure within the window, at most
// `max_entries` of each, each of fixed size (an account is kept as a 64-bit hash of its
// name: a collision only makes two accounts share a count, at one address). Expired
// entries are swept as new ones arrive; when a table is full of live entries, new
// addresses are not tracked (existing delays still hold): documented in docs/security.md.
// Addresses are whatever the caller passes: the server passes an IPv6 client's /64.
//
// Time is a parameter so that tests can drive it; the server passes steady_clock::now().
// Thread-safe (one mutex: sign-ins are rare next to the requests they protect).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace scopegate::server {

struct LoginThrottleSettings {
  std::int64_t free_failures = 5;           // per account from one address
  std::int64_t free_address_failures = 20;  // per address, over all accounts
  std::chrono::seconds window{15 * 60};
  std::chrono::seconds base_delay{1};
  std::chrono::seconds max_delay{15 * 60};
  std::size_t max_entries = 100'000;
};

class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LoginThrottle(LoginThrottleSettings settings);
  LoginThrottle(const LoginThrottle&) = delete;
  LoginThrottle& operator=(const LoginThrottle&) = delete;

  struct Verdict {
    bool allowed = true;
    // When refused: whole seconds until an attempt is allowed again, at least 1.
    std::int64_t retry_after_seconds = 0;
  };

  // May `address` try a password for `account` (the organization and email, as the caller
  // names them) at `now`? Changes nothing.
  Verdict check(std::string_view account, std::string_view address, Clock::time_point now) const;
  // check(), and when allowed, counts the attempt as a failure at once (one step, one lock).
  Verdict begin(std::string_view account, std::string_view address, Clock::time_point now);
  void record_failure(std::string_view account, std::string_view address, Clock::time_point now);
  // The attempt begun for `account` from `address` succeeded: its account-and-address count
  // is cleared, and the per-address count gives back the failure begin() counted.
  void record_success(std::string_view account, std::string_view address);

  const LoginThrottleSettings& settings() const { return m_settings; }
  // Entries held now (pairs, addresses): for tests and diagnostics.
  std::pair<std::size_t, std::size_t> tracked() const;

 private:
  struct Failures {
    std::int64_t count = 0;
    Clock::time_point last{};
  };
  using Table = std::unordered_map<std::string, Failures>;

  // The time before which `failures` delays the next attempt (past when it does not).
  Clock::time_point allowed_from(const Failures& failures, std::int64_t free,
                                 Clock::time_point now) const;
  Verdict check_locked(const std::string& pair, const std::string& address,
                       Clock::time_point now) const;
  void count(Table& table, const std::string& key, Clock::time_point now);
  void sweep(Table& table, Clock::time_point now);
  static std::string pair_key(std::string_view account, std::string_view address);

  LoginThrottleSettings m_settings;
  mutable std::mutex m_mutex;
  Table m_pairs;
  Table m_addresses;
};

}  // namespace scopegate::server
