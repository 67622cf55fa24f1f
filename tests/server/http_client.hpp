// A small blocking HTTP/1.1 client for the end-to-end tests: one connection per request,
// or raw bytes for requests a well-behaved client cannot send; and a free port for a
// server. Boost.Beast stays in http_client.cpp, compiled once into
// scopegate_server_test_support.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace scopegate::server::testing {

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;

  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

class Client {
 public:
  explicit Client(std::uint16_t port) : m_port(port) {}

  Reply send(const std::string& method, const std::string& target,
             const std::map<std::string, std::string>& headers = {},
             const std::string& body = "") const;

  Reply get(const std::string& target,
            const std::map<std::string, std::string>& headers = {}) const {
    return send("GET", target, headers);
  }
  Reply post(const std::string& target, const nlohmann::json& body,
             const std::map<std::string, std::string>& headers = {}) const {
    return send("POST", target, headers, body.dump());
  }

  // Sends `bytes` as they are and returns the status code of the answer (0: none).
  int raw_status(const std::string& bytes) const;

 private:
  std::uint16_t m_port;
};

// A loopback port that nothing listens on now, for a server or cluster a test starts.
std::uint16_t free_port();
// The port of the "listening on 127.0.0.1:PORT" line in the log file `log_path` of a
// `scopegate serve` started on 127.0.0.1:0 (a port the kernel chooses: one found free
// beforehand could be taken before the server binds it); 0 while there is none.
std::uint16_t logged_port(const std::string& log_path);

}  // namespace scopegate::server::testing
