// A small HTTP/1.1 server on 127.0.0.1 for the S3 tests: every request goes to a handler that
// answers it, drops the connection, or sleeps first. Keep-alive is honoured, so the tests see how
// many connections the client opened.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace quarry::lode::testing {

struct HttpRequest {
  std::string method;
  std::string target;                          // path and query as sent
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct HttpAnswer {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool drop = false;  // close the connection without answering
  std::chrono::milliseconds delay{0};
};

inline HttpAnswer Dropped() {
  HttpAnswer a;
  a.drop = true;
  return a;
}

inline HttpAnswer Delayed(std::chrono::milliseconds delay, int status, std::string body) {
  HttpAnswer a{status, {}, std::move(body)};
  a.delay = delay;
  return a;
}

class LoopbackHttpServer {
 public:
  using Handler = std::function<HttpAnswer(const HttpRequest&)>;

  explicit LoopbackHttpServer(Handler handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_, 64);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~LoopbackHttpServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    acceptor_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& t : workers_) t.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_; }
  int requests() const { return requests_; }

 private:
  void AcceptLoop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      ++connections_;
      std::lock_guard<std::mutex> lock(mu_);
      workers_.emplace_back([this, c] { Serve(c); });
    }
  }

  // Reads until `buf` holds a full request; false when the peer closed or we are stopping.
  bool ReadRequest(int c, std::string& buf, HttpRequest* req) {
    for (;;) {
      const size_t end = buf.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::string head = buf.substr(0, end);
        size_t line_end = head.find("\r\n");
        std::string first = head.substr(0, line_end);
        const size_t sp1 = first.find(' ');
        const size_t sp2 = first.find(' ', sp1 + 1);
        req->method = first.substr(0, sp1);
        req->target = first.substr(sp1 + 1, sp2 - sp1 - 1);
        req->headers.clear();
        size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
        while (pos < head.size()) {
          size_t next = head.find("\r\n", pos);
          if (next == std::string::npos) next = head.size();
          std::string line = head.substr(pos, next - pos);
          const size_t colon = line.find(':');
          if (colon != std::string::npos) {
            std::string k = line.substr(0, colon);
            for (char& ch : k) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            size_t v = colon + 1;
            while (v < line.size() && line[v] == ' ') ++v;
            req->headers[k] = line.substr(v);
          }
          pos = next + 2;
        }
        size_t length = 0;
        if (auto it = req->headers.find("content-length"); it != req->headers.end()) {
          length = std::stoul(it->second);
        }
        if (buf.size() >= end + 4 + length) {
          req->body = buf.substr(end + 4, length);
          buf.erase(0, end + 4 + length);
          return true;
        }
      }
      pollfd p{c, POLLIN, 0};
      if (stop_) return false;
      if (::poll(&p, 1, 50) <= 0) continue;
      char chunk[65536];
      ssize_t n = ::read(c, chunk, sizeof(chunk));
      if (n <= 0) return false;
      buf.append(chunk, static_cast<size_t>(n));
    }
  }

  void Serve(int c) {
    std::string buf;
    HttpRequest req;
    while (ReadRequest(c, buf, &req)) {
      ++requests_;
      HttpAnswer a = handler_(req);
      if (a.delay.count() > 0) std::this_thread::sleep_for(a.delay);
      if (a.drop) break;
      std::string out = "HTTP/1.1 " + std::to_string(a.status) + " X\r\n";
      for (const auto& [k, v] : a.headers) out += k + ": " + v + "\r\n";
      if (req.method != "HEAD") out += "Content-Length: " + std::to_string(a.body.size()) + "\r\n";
      out += "\r\n";
      if (req.method != "HEAD") out += a.body;
      size_t off = 0;
      while (off < out.size()) {
        ssize_t n = ::send(c, out.data() + off, out.size() - off, MSG_NOSIGNAL);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
      }
    }
    ::close(c);
  }

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
};

}  // namespace quarry::lode::testing
