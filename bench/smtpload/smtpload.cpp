// smtpload: an SMTP submission load generator written for Tegami's benchmarks, independent of
// any server's code. Postfix's smtp-source has no AUTH; this does what it does (one thread per
// session, one command at a time, no pipelining) plus AUTH PLAIN once per connection.
//
//   smtpload --port P --from F --to T --count N [--sessions S] [--size BYTES]
//            [--user U --pass W] [--per-connection K] [--timeout SECONDS] [--ready-file F]
//
// Each of S sessions connects to 127.0.0.1:P, says EHLO and signs in with AUTH PLAIN when --user
// is given; when all are ready the clock starts and they send messages (MAIL FROM, RCPT TO,
// DATA) of about --size bytes of body while any of the N are left; after K messages on one
// connection (0 = no limit) a session says QUIT and connects again. Every reply is awaited with
// a timeout, so the run always ends. Prints one line:
//   sent=N failed=F start=UNIX_TIME seconds=S msgs_per_s=R cpu_s=C
// (start: wall clock when the first MAIL FROM went out; seconds: until the last reply; cpu_s:
// this process's own user+system CPU, to show that the driver is not the bottleneck).
// With --ready-file, once every session is signed in it creates F and waits until F is gone
// before the clock starts, so the caller can read the server's CPU counters between sign-in
// (a password hash per session) and the messages.
// Exit status 1 when any message was refused or lost.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
  int port = 25;
  std::string from = "load@example.org", to = "sink@example.net", user, pass;
  int count = 1000, sessions = 1, size = 1024, per_connection = 0, timeout = 60;
  std::string ready_file;
};

using Clock = std::chrono::steady_clock;

std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v =
        (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += t[v & 63];
  }
  if (i + 1 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16;
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

class Conn {
 public:
  explicit Conn(const Options& o) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + strerror(errno));
    timeval tv{o.timeout, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(o.port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      int e = errno;
      close(fd_);
      throw std::runtime_error(std::string("connect: ") + strerror(e));
    }
  }
  ~Conn() { close(fd_); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  void send(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::write(fd_, s.data() + off, s.size() - off);
      if (n <= 0) throw std::runtime_error("write failed");
      off += static_cast<size_t>(n);
    }
  }
  // Reads one (possibly multi-line) reply; returns its code and the last line.
  int reply(std::string* text = nullptr) {
    for (;;) {
      std::string l = line();
      if (l.size() < 3) throw std::runtime_error("bad reply: " + l);
      if (l.size() == 3 || l[3] == ' ') {
        if (text) *text = l;
        return std::atoi(l.substr(0, 3).c_str());
      }
    }
  }
  void expect(const std::string& cmd, int want) {
    if (!cmd.empty()) send(cmd + "\r\n");
    std::string text;
    int code = reply(&text);
    if (code != want) throw std::runtime_error((cmd.empty() ? "greeting" : cmd) + ": " + text);
  }

 private:
  std::string line() {
    for (;;) {
      auto p = buf_.find("\r\n", pos_);
      if (p != std::string::npos) {
        std::string l = buf_.substr(pos_, p - pos_);
        pos_ = p + 2;
        return l;
      }
      if (pos_ == buf_.size()) {
        buf_.clear();
        pos_ = 0;
      }
      char tmp[4096];
      ssize_t n = ::read(fd_, tmp, sizeof tmp);
      if (n <= 0) throw std::runtime_error(n == 0 ? "connection closed" : "read timed out");
      buf_.append(tmp, static_cast<size_t>(n));
    }
  }
  int fd_ = -1;
  std::string buf_;
  size_t pos_ = 0;
};

// Header plus a body of `size` bytes in 78-character lines (dot-stuffing never needed: no line
// starts with '.'), ending in CRLF "." CRLF.
std::string make_data(const Options& o, int i) {
  std::string m = "From: <" + o.from + ">\r\nTo: <" + o.to + ">\r\nSubject: smtpload " +
                  std::to_string(i) + "\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\nMessage-ID: <" +
                  std::to_string(i) + "." + std::to_string(getpid()) + "@smtpload>\r\n\r\n";
  static const std::string text =
      "La de da de da 1. La de da de da 2. La de da de da 3. La de da de da 4. La de ";
  int left = o.size;
  while (left > 0) {
    int n = std::min<int>(left, 78);
    m.append(text, 0, static_cast<size_t>(n));
    m += "\r\n";
    left -= n + 2;
  }
  return m + ".\r\n";
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--port")
      o.port = std::atoi(v.c_str());
    else if (k == "--from")
      o.from = v;
    else if (k == "--to")
      o.to = v;
    else if (k == "--user")
      o.user = v;
    else if (k == "--pass")
      o.pass = v;
    else if (k == "--count")
      o.count = std::atoi(v.c_str());
    else if (k == "--sessions")
      o.sessions = std::max(1, std::atoi(v.c_str()));
    else if (k == "--size")
      o.size = std::atoi(v.c_str());
    else if (k == "--per-connection")
      o.per_connection = std::atoi(v.c_str());
    else if (k == "--timeout")
      o.timeout = std::max(1, std::atoi(v.c_str()));
    else if (k == "--ready-file")
      o.ready_file = v;
    else {
      std::fprintf(stderr, "smtpload: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  const std::string auth = "AUTH PLAIN " + base64(std::string(1, '\0') + o.user + '\0' + o.pass);
  auto open = [&]() {
    auto c = std::make_unique<Conn>(o);
    c->expect("", 220);
    c->expect("EHLO smtpload.test", 250);
    if (!o.user.empty()) c->expect(auth, 235);
    return c;
  };
  std::atomic<int> next{0}, sent{0}, failed{0}, ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> ts;
  for (int s = 0; s < o.sessions; ++s) {
    ts.emplace_back([&, s] {
      // The first connection of every session is opened and signed in before the clock
      // starts (connection setup is not what is measured; see bench/README.md).
      std::unique_ptr<Conn> c;
      try {
        c = open();
      } catch (const std::exception& e) {
        if (failed.fetch_add(1) < 5)
          std::fprintf(stderr, "smtpload: session %d: %s\n", s, e.what());
      }
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::sleep_for(std::chrono::microseconds(200));
      int errors = c ? 0 : 1;
      // A round ends after per_connection messages, when none are left, or on an error (the
      // message in flight counts as failed; three errors end this session, so a broken server
      // cannot keep the run going).
      while (errors < 3) {
        int i = next.fetch_add(1);
        if (i >= o.count) break;
        try {
          if (!c) c = open();
          for (int k = 0;; ++k) {
            c->expect("MAIL FROM:<" + o.from + ">", 250);
            c->expect("RCPT TO:<" + o.to + ">", 250);
            c->expect("DATA", 354);
            c->send(make_data(o, i));
            std::string text;
            if (c->reply(&text) != 250) throw std::runtime_error("end of data: " + text);
            sent.fetch_add(1);
            if (o.per_connection > 0 && k + 1 >= o.per_connection) break;
            i = next.fetch_add(1);
            if (i >= o.count) break;
          }
          c->expect("QUIT", 221);
        } catch (const std::exception& e) {
          if (failed.fetch_add(1) < 5)
            std::fprintf(stderr, "smtpload: session %d: %s\n", s, e.what());
          ++errors;
        }
        c.reset();
      }
      if (c) {
        try {
          c->expect("QUIT", 221);
        } catch (const std::exception&) {
        }
      }
    });
  }
  while (ready.load() < o.sessions) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!o.ready_file.empty()) {
    if (FILE* f = std::fopen(o.ready_file.c_str(), "w")) std::fclose(f);
    for (int i = 0; i < 600000 && access(o.ready_file.c_str(), F_OK) == 0; ++i)  // at most 10 min
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  timespec wall{};
  clock_gettime(CLOCK_REALTIME, &wall);
  auto t0 = Clock::now();
  go.store(true);
  for (auto& t : ts) t.join();
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("sent=%d failed=%d start=%lld.%09ld seconds=%.3f msgs_per_s=%.1f cpu_s=%.3f\n",
              sent.load(), failed.load(), static_cast<long long>(wall.tv_sec), wall.tv_nsec, secs,
              secs > 0 ? sent.load() / secs : 0.0, cpu_seconds());
  return failed.load() ? 1 : 0;
}
