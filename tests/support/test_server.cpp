#include "support/test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <strings.h>

#include <gtest/gtest.h>

namespace scalelab::testkit {

http::ServerOptions TestServer::defaults() {
  http::ServerOptions o;
  o.address = "127.0.0.1";
  o.port = 0;
  o.threads = 2;
  o.read_timeout = std::chrono::milliseconds(2000);
  o.idle_timeout = std::chrono::milliseconds(5000);
  o.write_timeout = std::chrono::milliseconds(2000);
  o.shutdown_grace = std::chrono::milliseconds(3000);
  return o;
}

TestServer::TestServer(std::function<void(http::Router&)> configure, http::ServerOptions options) {
  if (configure) configure(router_);
  server_ = std::make_unique<http::Server>(std::move(options), router_, registry_);
  server_->start();
}

TestServer::~TestServer() {
  server_->stop();
  server_->wait();
}

std::string infra_url(const std::string& kind) {
  std::string var = "SCALELAB_TEST_" + kind + "_DIR";
  std::transform(var.begin(), var.end(), var.begin(), [](unsigned char c) { return std::toupper(c); });
  const char* dir = std::getenv(var.c_str());
  if (!dir) {
    ADD_FAILURE() << var << " is not set: run this test through ctest (its " << kind
                  << " fixture starts the server)";
    return "";
  }
  std::ifstream in(std::string(dir) + "/url");
  std::string url;
  std::getline(in, url);
  if (url.empty()) ADD_FAILURE() << "no " << kind << " server recorded in " << dir << "/url (did infra." << kind << ".up fail?)";
  return url;
}

std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double metric_value(const obs::Registry& registry, const std::string& series) {
  const std::string text = registry.render();
  auto pos = text.find("\n" + series + " ");
  return pos == std::string::npos ? -1 : std::stod(text.substr(pos + series.size() + 2));
}

std::string RawResponse::header(const std::string& name) const {
  std::size_t pos = head.find("\r\n");
  while (pos != std::string::npos && pos + 2 < head.size()) {
    std::size_t end = head.find("\r\n", pos + 2);
    std::string line = head.substr(pos + 2, end == std::string::npos ? std::string::npos : end - pos - 2);
    auto colon = line.find(':');
    if (colon != std::string::npos && colon == name.size() &&
        strncasecmp(line.c_str(), name.c_str(), name.size()) == 0) {
      auto v = line.substr(colon + 1);
      v.erase(0, v.find_first_not_of(' '));
      return v;
    }
    pos = end;
  }
  return {};
}

RawConnection::RawConnection(std::uint16_t port, std::chrono::milliseconds read_timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(read_timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((read_timeout.count() % 1000) * 1000);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error(std::string("connect failed: ") + std::strerror(errno));
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::send(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool RawConnection::fill() {
  char buf[16384];
  ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) return false;
  buffer_.append(buf, static_cast<std::size_t>(n));
  return true;
}

std::string RawConnection::read_until_close() {
  while (fill()) {
  }
  return std::exchange(buffer_, {});
}

std::string read_until_close(std::uint16_t port, const std::string& request) {
  RawConnection c(port);
  c.send(request);
  return c.read_until_close();
}

std::optional<RawResponse> RawConnection::read_response(bool head_only) {
  std::size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
    if (!fill()) return std::nullopt;
  RawResponse r;
  r.head = buffer_.substr(0, end);
  buffer_.erase(0, end + 4);
  if (r.head.size() < 12) return std::nullopt;
  r.status = std::stoi(r.head.substr(9, 3));
  std::size_t length = 0;
  if (auto cl = r.header("Content-Length"); !cl.empty() && !head_only) length = std::stoul(cl);
  while (buffer_.size() < length)
    if (!fill()) return std::nullopt;
  r.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return r;
}

bool RawConnection::closed_by_peer() {
  char buf[4096];
  while (true) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET;
  }
}

}  // namespace scalelab::testkit
