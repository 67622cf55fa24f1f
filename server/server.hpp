// Server: `scopegate serve` as a library. start() compiles the policy, opens (and
// migrates) the database, bootstraps an empty one (organization + admin, announced once
// on `notices`), checks the handlers against the policy, and binds the listen address;
// any failure comes back as messages and nothing keeps running. run() serves until
// stop() (thread-safe, callable from a signal watcher): in-flight requests finish,
// pending audit writes are flushed, background threads stop, the database is closed.
// While it runs, the policy is reloaded on reload() (SIGHUP) and, unless
// `policy.reload_interval_milliseconds` is 0, when the policy directory changes; a new
// policy is used only if it compiles, its tests pass and every endpoint has a handler
// (see server/reloader.hpp).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "scopegate/result.hpp"
#include "server/config.hpp"
#include "server/http.hpp"
#include "server/reloader.hpp"

namespace scopegate::server {

class Server {
 public:
  static Result<std::unique_ptr<Server>, std::vector<std::string>> start(const Config& config,
                                                                         std::ostream& notices);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const noexcept;
  void run();
  void stop();
  // Recompiles and, if every check passes, swaps in the policy directory's policy now.
  // Thread-safe; what SIGHUP does.
  ReloadOutcome reload(std::string_view trigger = "request");
  // How many reloads were applied and refused since start.
  PolicyReloader::Stats reload_stats() const noexcept;
  // The handler the HTTP server calls for every request (the App). For driving the server
  // without a socket through answer_connection_bytes() (tests/fuzz/http_request.cpp).
  HttpHandler handler() const;

  struct Parts;

 private:
  explicit Server(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> m_parts;
};

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (and so in every thread it
// starts afterwards); call before Server::start(). Then serve_until_signal() runs the
// server, reloads the policy on each SIGHUP and stops gracefully on the first SIGINT or
// SIGTERM.
void block_termination_signals();
void serve_until_signal(Server& server);

}  // namespace scopegate::server
