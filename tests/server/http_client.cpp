#include "http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fstream>
#include <iterator>
#include <string_view>

namespace scopegate::server::testing {

Reply Client::send(const std::string& method, const std::string& target,
                   const std::map<std::string, std::string>& headers,
                   const std::string& body) const {
  namespace http = boost::beast::http;
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), m_port});
  http::request<http::string_body> request{http::string_to_verb(method), target, 11};
  if (request.method() == http::verb::unknown) request.method_string(method);
  request.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) request.set(name, value);
  if (!body.empty()) {
    if (headers.count("Content-Type") == 0)
      request.set(http::field::content_type, "application/json");
    request.body() = body;
  }
  request.prepare_payload();
  http::write(socket, request);
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  http::read(socket, buffer, parser);
  const auto& response = parser.get();
  Reply reply;
  reply.status = static_cast<int>(response.result_int());
  for (const auto& field : response)
    reply.headers[std::string(field.name_string())] = std::string(field.value());
  reply.body = response.body();
  boost::system::error_code ignored;
  socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  return reply;
}

std::uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

std::uint16_t logged_port(const std::string& log_path) {
  constexpr std::string_view mark = "listening on 127.0.0.1:";
  std::ifstream in(log_path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto at = text.find(mark);
  if (at == std::string::npos) return 0;
  // Only a whole line: the digits and the " (" after them (a buffered log file may hold
  // the first part of the line only).
  const auto digits = at + mark.size();
  const auto end = text.find_first_not_of("0123456789", digits);
  if (end == std::string::npos || end == digits || text.compare(end, 2, " (") != 0) return 0;
  return static_cast<std::uint16_t>(std::stoi(text.substr(digits, end - digits)));
}

int Client::raw_status(const std::string& bytes) const {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), m_port});
  boost::asio::write(socket, boost::asio::buffer(bytes));
  std::string received;
  boost::system::error_code error;
  char chunk[4096];
  while (received.find("\r\n") == std::string::npos) {
    const auto n = socket.read_some(boost::asio::buffer(chunk), error);
    if (error) break;
    received.append(chunk, n);
  }
  if (received.size() < 12 || received.rfind("HTTP/1.1 ", 0) != 0) return 0;
  return std::stoi(received.substr(9, 3));
}

}  // namespace scopegate::server::testing
