// The HTTP answer to a refusal: the one place where a Decision the engine refused, or a
// credential authentication refused, becomes a status, a body and the headers that go
// with it (`Allow` on 405, `WWW-Authenticate` on 401). One row per Reason in
// tests/server/decision_response_test.cpp.
//
// The texts are the engine's: a Decision's message() is the body's `message` for every
// reason (the 404 and 405 texts included), so that `scopegate explain`, the log and the
// client read the same words. Bodies follow API.md: a 403 to an API key has the exact
// `{"error":"Insufficient permissions","message":…}` shape; every other refusal has the
// general shape `{"timestamp","status","error","message","path"}`.
// Pure functions of their arguments (and the clock, for the timestamp); thread-safe.
#pragma once

#include <string_view>

#include "scopegate/decision.hpp"
#include "server/http.hpp"

namespace scopegate::server {

struct AuthFailure;

// Who was refused: a 403 to an API key has its own body (API.md, "Errors").
enum class Caller { anonymous, user, api_key };

// The challenge a 401 carries (RFC 9110 §11.6.1): Bearer tokens and API keys.
inline constexpr std::string_view www_authenticate_challenge =
    R"(Bearer realm="scopegate", ApiKey realm="scopegate")";

// `decision` must not be allowed. `path` is the request's path, echoed in general bodies.
HttpResponse refusal_response(const Decision& decision, Caller caller, std::string_view path);

// 401 for a credential that failed (with the challenge), or 500 when the store failed.
HttpResponse authentication_refusal(const AuthFailure& failure, std::string_view path);

}  // namespace scopegate::server
