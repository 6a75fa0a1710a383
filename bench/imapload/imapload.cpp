// imapload: an IMAP load generator written for Tegami's benchmarks, independent of any server's
// code. Blocking sockets + OpenSSL, one thread per simulated client, bounded by time and count.
//
//   imapload --port P --user U --pass W --workload NAME [--clients N] [--seconds S] [--count N]
//            [--rounds R]
//
// Workloads (each prints one line "workload=... ops=... seconds=... ops_per_s=..."):
//   session   connect, LOGIN, SELECT INBOX, FETCH 1:10 (FLAGS ENVELOPE), STORE, APPEND,
//             UID EXPUNGE of the appended message, LOGOUT; ops = whole sessions
//   steady    logged-in clients repeat SELECT/FETCH 1:10 (FLAGS)/NOOP; ops = commands
//   populate  APPEND --count messages of about --size bytes (pipelined with LITERAL+ when the
//             server has it, else synchronizing literals); ops = messages
//   fetch     one FETCH of 1:--count with --items; ops = messages
//   search    UID SEARCH TEXT --text over INBOX; ops = searches (repeat --count times)
//   idle      --clients connections log in, SELECT and IDLE, then hold for --seconds; prints the
//             connection count reached. With --rounds R, then R times: another connection
//             APPENDs a message to INBOX and the time until every idle connection has read its
//             "* n EXISTS" is printed ("fanout round=... seconds=...")
//   timed     one client logs in and runs the commands of --cmds ('|' between them) in turn;
//             prints "cmd=... seconds=... lines=... bytes=..." for each. With --pid P (a server
//             on this machine) it resets P's peak RSS before each command (/proc/P/clear_refs)
//             and adds "hwm_kib=... rss_kib=..." (VmHWM and VmRSS after the command); with
//             --cpu-pid P, "cpu_s=..." (CPU of P and its children during the command).
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
  int port = 993;
  std::string user, pass, workload = "session", items = "(FLAGS)", text = "needle", cmds;
  int clients = 10, seconds = 10, count = 1000, size = 2000, pid = 0, rounds = 0, cpu_pid = 0;
  bool tls = true;
};

using Clock = std::chrono::steady_clock;

class Client {
 public:
  Client(const Options& o, SSL_CTX* ctx) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(o.port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::runtime_error(std::string("connect: ") + strerror(errno));
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (o.tls) {
      ssl_ = SSL_new(ctx);
      SSL_set_fd(ssl_, fd_);
      if (SSL_connect(ssl_) != 1) throw std::runtime_error("TLS handshake failed");
    }
    std::string greeting = line();
    if (greeting.rfind("* OK", 0) != 0) throw std::runtime_error("greeting: " + greeting);
  }
  ~Client() {
    if (ssl_) SSL_free(ssl_);
    close(fd_);
  }
  void send(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      int n = ssl_ ? SSL_write(ssl_, s.data() + off, static_cast<int>(s.size() - off))
                   : static_cast<int>(::write(fd_, s.data() + off, s.size() - off));
      if (n <= 0) throw std::runtime_error("write failed");
      off += static_cast<size_t>(n);
    }
  }
  std::string line() {
    for (;;) {
      auto p = buf_.find("\r\n", pos_);
      if (p != std::string::npos) {
        std::string l = buf_.substr(pos_, p - pos_);
        pos_ = p + 2;
        return l;
      }
      fill();
    }
  }
  void skip(size_t n) {
    while (buf_.size() - pos_ < n) {
      n -= buf_.size() - pos_;
      pos_ = buf_.size();
      fill();
    }
    pos_ += n;
  }
  // Sends a tagged command and reads to its completion; returns the tagged status line.
  // Literals in responses ({n}) are skipped by size.
  std::string cmd(const std::string& c) {
    std::string tag = "t" + std::to_string(++tag_);
    send(tag + " " + c + "\r\n");
    return wait(tag);
  }
  std::string wait(const std::string& tag) {
    for (;;) {
      std::string l = line();
      ++lines_;
      bytes_ += l.size() + 2;
      if (l.size() > 2 && l.back() == '}') {
        auto open = l.rfind('{');
        if (open != std::string::npos) skip(std::strtoull(l.c_str() + open + 1, nullptr, 10));
        continue;
      }
      if (l.rfind(tag + " ", 0) == 0) {
        if (l.compare(tag.size() + 1, 2, "OK") != 0) throw std::runtime_error(l);
        return l;
      }
    }
  }
  std::string next_tag() { return "t" + std::to_string(++tag_); }
  // Response lines and bytes read by wait() so far (literal contents not counted).
  uint64_t lines() const { return lines_; }
  uint64_t bytes() const { return bytes_; }

 private:
  void fill() {
    if (pos_ > 0 && pos_ == buf_.size()) {
      buf_.clear();
      pos_ = 0;
    } else if (pos_ > (1u << 20)) {  // long responses: do not keep what was read
      buf_.erase(0, pos_);
      pos_ = 0;
    }
    char tmp[65536];
    int n = ssl_ ? SSL_read(ssl_, tmp, sizeof tmp) : static_cast<int>(::read(fd_, tmp, sizeof tmp));
    if (n <= 0) throw std::runtime_error("connection closed");
    buf_.append(tmp, static_cast<size_t>(n));
  }
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  std::string buf_;
  size_t pos_ = 0;
  uint64_t tag_ = 0;
  uint64_t lines_ = 0, bytes_ = 0;
};

// A field of /proc/PID/status in KiB ("VmHWM", "VmRSS"), 0 when unreadable.
long proc_kib(int pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string l;
  while (std::getline(in, l)) {
    if (l.rfind(field + ":", 0) == 0) return std::atol(l.c_str() + field.size() + 1);
  }
  return 0;
}

// CPU seconds (user + system) of a process and its children (/proc/PID/stat), 0 when unreadable.
double cpu_seconds_tree(int pid) {
  auto read = [](const std::string& path, int* ppid) -> double {
    std::ifstream in(path);
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close = stat.rfind(')');  // the command name may hold spaces
    if (close == std::string::npos) return 0;
    // After ") ": the state, then ppid ... stime (fields 4 to 15 of the line).
    const char* p = stat.c_str() + close + 2;
    while (*p && *p != ' ') ++p;
    long long v[13] = {};
    for (auto& x : v) x = std::strtoll(p, const_cast<char**>(&p), 10);
    *ppid = static_cast<int>(v[0]);
    return static_cast<double>(v[10] + v[11]) / static_cast<double>(sysconf(_SC_CLK_TCK));
  };
  int ppid = 0;
  double total = read("/proc/" + std::to_string(pid) + "/stat", &ppid);
  DIR* d = opendir("/proc");
  if (!d) return total;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    double c = read("/proc/" + name + "/stat", &ppid);
    if (ppid == pid) total += c;
  }
  closedir(d);
  return total;
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::string make_message(int i, int size) {
  std::string m = "From: load@example.org\r\nTo: bench@bench.test\r\nSubject: message " +
                  std::to_string(i) + "\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\nMessage-ID: <" +
                  std::to_string(i) + "@imapload>\r\n\r\n";
  static const char* words[] = {"alpha", "bravo", "charlie", "delta", "echo", "needle", "golf"};
  int w = i;
  while (static_cast<int>(m.size()) < size) {
    m += words[(w++ * 7 + 3) % 7 == 5 && i % 100 != 0 ? 0 : (w % 7)];
    m += (w % 12 == 0) ? "\r\n" : " ";
  }
  return m + "\r\n";
}

void login(Client& c, const Options& o) { c.cmd("LOGIN " + quoted(o.user) + " " + quoted(o.pass)); }

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

void report(const Options& o, uint64_t ops, double secs) {
  std::printf("workload=%s clients=%d ops=%llu seconds=%.3f ops_per_s=%.1f\n", o.workload.c_str(),
              o.clients, static_cast<unsigned long long>(ops), secs, secs > 0 ? ops / secs : 0.0);
}

template <class F>
uint64_t run_clients(const Options& o, F body) {
  std::atomic<uint64_t> ops{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> ts;
  auto deadline = Clock::now() + std::chrono::seconds(o.seconds);
  for (int i = 0; i < o.clients; ++i)
    ts.emplace_back([&, i] {
      try {
        body(i, deadline, ops);
      } catch (const std::exception& e) {
        if (errors++ < 3) std::fprintf(stderr, "client %d: %s\n", i, e.what());
      }
    });
  for (auto& t : ts) t.join();
  if (errors) std::fprintf(stderr, "%d clients failed\n", errors.load());
  return ops;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--port")
      o.port = std::atoi(v.c_str());
    else if (k == "--user")
      o.user = v;
    else if (k == "--pass")
      o.pass = v;
    else if (k == "--workload")
      o.workload = v;
    else if (k == "--clients")
      o.clients = std::atoi(v.c_str());
    else if (k == "--seconds")
      o.seconds = std::atoi(v.c_str());
    else if (k == "--count")
      o.count = std::atoi(v.c_str());
    else if (k == "--size")
      o.size = std::atoi(v.c_str());
    else if (k == "--items")
      o.items = v;
    else if (k == "--text")
      o.text = v;
    else if (k == "--cmds")
      o.cmds = v;
    else if (k == "--pid")
      o.pid = std::atoi(v.c_str());
    else if (k == "--cpu-pid")
      o.cpu_pid = std::atoi(v.c_str());
    else if (k == "--rounds")
      o.rounds = std::atoi(v.c_str());
    else if (k == "--tls")
      o.tls = v != "0";
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  auto t0 = Clock::now();
  try {
    if (o.workload == "session") {
      auto ops = run_clients(o, [&](int i, Clock::time_point deadline, std::atomic<uint64_t>& n) {
        std::string msg = make_message(i, 1500);
        while (Clock::now() < deadline) {
          Client c(o, ctx);
          login(c, o);
          c.cmd("SELECT INBOX");
          c.cmd("FETCH 1:10 (FLAGS ENVELOPE)");
          c.cmd("STORE 1:5 +FLAGS (\\Seen)");
          std::string st = c.cmd("APPEND INBOX {" + std::to_string(msg.size()) + "+}\r\n" + msg);
          auto p = st.find("APPENDUID ");
          if (p != std::string::npos) {
            std::string uid = st.substr(st.find(' ', p + 10) + 1);
            uid = uid.substr(0, uid.find(']'));
            c.cmd("UID STORE " + uid + " +FLAGS.SILENT (\\Deleted)");
            c.cmd("UID EXPUNGE " + uid);
          }
          c.cmd("LOGOUT");
          ++n;
        }
      });
      report(o, ops, since(t0));
    } else if (o.workload == "steady") {
      auto ops = run_clients(o, [&](int, Clock::time_point deadline, std::atomic<uint64_t>& n) {
        Client c(o, ctx);
        login(c, o);
        while (Clock::now() < deadline) {
          c.cmd("SELECT INBOX");
          c.cmd("FETCH 1:10 (FLAGS)");
          c.cmd("NOOP");
          n += 3;
        }
        c.cmd("LOGOUT");
      });
      report(o, ops, since(t0));
    } else if (o.workload == "populate") {
      Client c(o, ctx);
      login(c, o);
      const int window = 64;  // messages in flight
      std::vector<std::string> tags;
      int done = 0;
      for (int i = 0; i < o.count; ++i) {
        std::string m = make_message(i, o.size);
        std::string tag = c.next_tag();
        c.send(tag + " APPEND INBOX {" + std::to_string(m.size()) + "+}\r\n" + m + "\r\n");
        tags.push_back(tag);
        if (static_cast<int>(tags.size()) - done >= window) c.wait(tags[done++]);
      }
      while (done < static_cast<int>(tags.size())) c.wait(tags[done++]);
      c.cmd("LOGOUT");
      report(o, static_cast<uint64_t>(o.count), since(t0));
    } else if (o.workload == "fetch") {
      Client c(o, ctx);
      login(c, o);
      c.cmd("EXAMINE INBOX");
      auto t = Clock::now();
      c.cmd("FETCH 1:" + std::to_string(o.count) + " " + o.items);
      double s = since(t);
      c.cmd("LOGOUT");
      report(o, static_cast<uint64_t>(o.count), s);
    } else if (o.workload == "search") {
      Client c(o, ctx);
      login(c, o);
      c.cmd("EXAMINE INBOX");
      auto t = Clock::now();
      for (int i = 0; i < o.count; ++i) c.cmd("UID SEARCH TEXT " + quoted(o.text));
      double s = since(t);
      c.cmd("LOGOUT");
      report(o, static_cast<uint64_t>(o.count), s);
    } else if (o.workload == "timed") {
      Client c(o, ctx);
      login(c, o);
      for (size_t b = 0; b <= o.cmds.size();) {
        size_t e = o.cmds.find('|', b);
        if (e == std::string::npos) e = o.cmds.size();
        std::string cmd = o.cmds.substr(b, e - b);
        b = e + 1;
        if (cmd.empty()) continue;
        if (o.pid) std::ofstream("/proc/" + std::to_string(o.pid) + "/clear_refs") << "5";
        uint64_t l0 = c.lines(), b0 = c.bytes();
        double cpu0 = o.cpu_pid ? cpu_seconds_tree(o.cpu_pid) : 0;
        auto t = Clock::now();
        c.cmd(cmd);
        double s = since(t);
        double cpu = o.cpu_pid ? cpu_seconds_tree(o.cpu_pid) - cpu0 : 0;
        std::printf("cmd=\"%s\" seconds=%.3f lines=%llu bytes=%llu", cmd.substr(0, 60).c_str(), s,
                    static_cast<unsigned long long>(c.lines() - l0),
                    static_cast<unsigned long long>(c.bytes() - b0));
        if (o.pid)
          std::printf(" hwm_kib=%ld rss_kib=%ld", proc_kib(o.pid, "VmHWM"),
                      proc_kib(o.pid, "VmRSS"));
        if (o.cpu_pid) std::printf(" cpu_s=%.2f", cpu);
        std::printf("\n");
        std::fflush(stdout);
      }
      c.cmd("LOGOUT");
    } else if (o.workload == "idle") {
      std::vector<std::unique_ptr<Client>> cs;
      for (int i = 0; i < o.clients; ++i) {
        auto c = std::make_unique<Client>(o, ctx);
        login(*c, o);
        c->cmd("SELECT INBOX");
        c->send("i IDLE\r\n");
        if (c->line().rfind("+", 0) != 0) throw std::runtime_error("IDLE refused");
        cs.push_back(std::move(c));
      }
      std::printf("workload=idle connections=%zu\n", cs.size());
      std::fflush(stdout);
      std::this_thread::sleep_for(std::chrono::seconds(o.seconds));
      if (o.rounds > 0) {
        Client sender(o, ctx);
        login(sender, o);
        for (int r = 1; r <= o.rounds; ++r) {
          std::string m = make_message(r, 500);
          auto t = Clock::now();
          sender.cmd("APPEND INBOX {" + std::to_string(m.size()) + "+}\r\n" + m);
          for (auto& c : cs) {
            for (;;) {
              std::string l = c->line();
              if (l.size() > 7 && l.compare(l.size() - 7, 7, " EXISTS") == 0) break;
            }
          }
          std::printf("fanout round=%d connections=%zu seconds=%.3f\n", r, cs.size(), since(t));
          std::fflush(stdout);
        }
        sender.cmd("LOGOUT");
      }
    } else {
      std::fprintf(stderr, "unknown workload %s\n", o.workload.c_str());
      return 2;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "imapload: %s\n", e.what());
    return 1;
  }
  SSL_CTX_free(ctx);
  return 0;
}
