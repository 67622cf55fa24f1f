// The request mixes the engine benchmarks decide: a fixed list of (principal, method,
// path), the methods and paths laid out in one text in the order they are decided. A Mix
// owns its principals and texts; its Requests borrow them and stay valid when it moves.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "scopegate/policy.hpp"

namespace bench {

using scopegate::Policy;
using scopegate::Principal;

// One request of a mix as decide() is handed it: a principal of the mix's fixed set and
// the method and path as views into the mix's one text, where the requests lie in the
// order they are decided (as a server's read buffer holds them; the server builds the
// principal just before it asks, so its principal is in cache too).
struct Request {
  const Principal* principal = nullptr;
  std::string_view method;
  std::string_view path;
};

// A request while the mix is made. `baseline_key` is what the hand-written baseline looks
// up: the request's method with the template of the endpoint it was made from (already
// known), or a key no endpoint has for unknown routes and wrong methods.
struct Draft {
  const Principal* principal = nullptr;
  std::string method;
  std::string path;
  std::string baseline_key;
};

struct Mix {
  Mix() = default;
  Mix(Mix&&) = default;  // the views stay valid: the text's buffer and the deque move
  Mix& operator=(Mix&&) = default;
  Mix(const Mix&) = delete;

  std::deque<Principal> principals;  // stable addresses for Request::principal
  std::vector<Draft> drafts;         // until pack()
  std::vector<Request> requests;
  std::vector<std::string> baseline_keys;  // baseline_keys[i] for requests[i]
  // Every request's method and path, in order. Not a std::string: a short one would
  // live inside the object and move with it, away from the views.
  std::vector<char> text;
  std::deque<std::string> own_paths;  // paths of their own (large_cold())

  // Lays the drafts out as requests: methods and paths one after the other in `text`.
  // Once: the text is sized for these drafts, so the views stay valid.
  void pack();
};

// "METHOD template": what the hand-written baselines (baseline.hpp) look a request up by.
std::string baseline_key(std::string_view method, std::string_view path_template);

// Every endpoint of the shipped policy with concrete ids, for every principal (anonymous,
// keys with 0 to 4 scopes, an admin and a member), plus unknown routes and 405s.
Mix shipped_mix(const Policy& policy);

// `size` requests over the generated policy: random endpoints with concrete ids, and
// paths with `/unknown` appended (mostly no route) and wrong methods (1 in 16 each).
// Like the shipped mix, the requests come from a fixed set of principals: anonymous, an
// admin, a viewer, and 330 API keys. 250 of the keys hold 4 scopes each and between them
// every scope once. The other 80 hold 0 to 4 random scopes (16 of each count). A key
// request makes the draws of a key of its own of i % 5 scopes, one of them granting its
// endpoint for i even (the mix until de5b3f9, so the endpoints and paths stay the same),
// and is made by the fixed key holding that granting scope, or else by one of the 16
// keys of i % 5 random scopes. About 37% of key requests hold a granting scope.
Mix large_mix(const Policy& policy, std::size_t size);

}  // namespace bench
