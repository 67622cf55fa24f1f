// The HTTP/1.1 front: accepts connections, parses requests strictly (Boost.Beast, which
// stays inside http.cpp), calls one Handler per request and writes its response, with
// keep-alive and pipelining. Transport errors are answered here, with the error body and
// then a closed connection: 400 for a malformed request or a framing rule broken (several
// or missing `Host`, any `Transfer-Encoding` but exactly `chunked`, `Content-Length` with
// it, several or non-decimal `Content-Length`, obsolete line folding; see docs/server.md),
// 413 body over the limit, 414 request line alone over the header limit, 431 head over it.
// Idle connections time out and never stall the others (async I/O on a small thread pool);
// a request whose head or body is sent too slowly gets 408 and a closed connection; the
// connections open at once are capped (one more gets 503 and is closed); when accepting
// fails (out of descriptors) the acceptor backs off instead of spinning.
// run() blocks until stop(); stop() may be called from any thread (e.g. a signal
// watcher): it stops accepting, lets requests in flight finish, closes idle connections.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scopegate/result.hpp"

namespace scopegate::server {

struct HttpRequest {
  std::string method;
  std::string target;                                        // as received, with the query string
  std::string path;                                          // target up to `?`
  std::string query;                                         // after `?`, without it
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;
  std::string peer_ip;

  // The first header named `name` (lowercase), or empty.
  std::string_view header(std::string_view name) const noexcept;
  bool has_header(std::string_view name) const noexcept;
};

struct HttpResponse;
// Delivers a response that comes later: call it exactly once, from any thread.
using HttpResponder = std::function<void(HttpResponse)>;

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Set by a handler whose answer needs slow work (a password hash): the transport calls
  // it once, at once, with a responder for the real response (this one's other fields
  // are ignored), and sends that response when it comes, without holding up the thread
  // that serves other connections. It must not refer to the request, gone by then.
  std::function<void(HttpResponder)> later = {};
  // For the request log and metrics, when the answer that came later was decided there (a
  // request judged again on a password worker): its reason code. Empty: the request's.
  std::string later_reason = {};
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
// Builds the body of an error the transport answers itself (status, message, path).
using HttpErrorBody = std::function<std::string(int, std::string_view, std::string_view)>;

struct HttpOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port (see HttpServer::port())
  int threads = 2;
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  int idle_timeout_seconds = 60;  // waiting for a request, and writing a response
  int shutdown_grace_seconds = 10;
  // Connections open at once; one more is answered 503 and closed at once. Never more
  // than the soft RLIMIT_NOFILE at listen() less 64 descriptors kept for the rest of the
  // process (database, log, policy files).
  std::size_t max_connections = 1024;
  // A request's head must have arrived this long after its first byte (a connection's
  // first request: after the connection opened), and its body this long after its head;
  // if not, 408 and the connection closes (a client sending a byte now and then cannot
  // hold a connection). Between requests, a keep-alive connection waits the idle timeout.
  std::chrono::milliseconds request_head_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds request_body_timeout{std::chrono::seconds(30)};
  // Where the transport's warnings go (accepting fails, the connection cap is reached),
  // one line each, at most one per burst of the same trouble; unset: stderr.
  std::function<void(std::string_view)> warn = {};
};

// The bytes the server would write back on a connection that received `received` and then
// reached its end: the same parsing, framing rules, handler calls and serialization as a
// socket, without one (for fuzzing). Pipelined requests are answered in order until the
// input ends or the connection would close; a response that comes later is waited for.
// The handler sees an empty peer_ip. Thread-safe if `handler` is.
std::string answer_connection_bytes(std::string_view received, const HttpOptions& options,
                                    const HttpHandler& handler, const HttpErrorBody& error_body);

class HttpServer {
 public:
  // Binds and listens; an error (address in use, bad address) comes back as text.
  static Result<std::unique_ptr<HttpServer>, std::string> listen(const HttpOptions& options,
                                                                 HttpHandler handler,
                                                                 HttpErrorBody error_body);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const noexcept;
  void run();
  void stop();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace scopegate::server
