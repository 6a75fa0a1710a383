// Test DNS server on loopback; see local_server.hpp.
#include "dns/local_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace tegami::dns {
namespace {

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0)
    port = ntohs(sa.sin_port);
  close(fd);
  return port;
}

bool tcp_listening(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  close(fd);
  return ok;
}

// unbound.conf quoting: values go inside single quotes when they contain double quotes.
std::string quote(const std::string& v) {
  return v.find('"') != std::string::npos ? "'" + v + "'" : "\"" + v + "\"";
}

void stop_process(pid_t pid) {
  kill(pid, SIGTERM);
  for (int i = 0; i < 100; ++i) {  // 2 s
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string log_tail(const std::string& path) {
  std::string s = read_file(path);
  return s.size() > 600 ? s.substr(s.size() - 600) : s;
}

// Runs `argv` in `dir` with stdout to `out` and stderr to `err`; true when it exits with 0.
bool run_in(const std::string& dir, const std::vector<std::string>& argv, const std::string& out,
            const std::string& err) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (o < 0 || e < 0 || chdir(dir.c_str()) != 0) _exit(126);
    dup2(o, 1);
    dup2(e, 2);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string with_dot(std::string name) {
  if (name.empty() || name.back() != '.') name += '.';
  return name;
}

}  // namespace

bool LocalDnsServer::available() { return access(kUnboundPath, X_OK) == 0; }

bool LocalDnsServer::signing_available() {
  return available() && access(kKeygenPath, X_OK) == 0 && access(kSignzonePath, X_OK) == 0;
}

Result<void> LocalDnsServer::sign_zones(const std::vector<SignedZone>& zones) {
  const std::string err = dir_ + "/ldns.log";
  std::string anchors;
  for (size_t i = 0; i < zones.size(); ++i) {
    const std::string name = with_dot(zones[i].name);
    const std::string zone_file = dir_ + "/zone" + std::to_string(i);
    {
      std::ofstream z(zone_file);
      z << name << " 300 IN SOA ns." << name << " hostmaster." << name << " 1 3600 600 86400 300\n"
        << name << " 300 IN NS ns." << name << "\n";
      for (const auto& r : zones[i].records) z << r << "\n";
    }
    // ldns-keygen writes K<name>+013+<tag>.{key,private,ds} in the current folder and prints
    // that base name; -k makes a key-signing key (flags 257), which signs the whole zone here.
    const std::string key_out = dir_ + "/keygen.out";
    if (!run_in(dir_, {kKeygenPath, "-a", "ECDSAP256SHA256", "-k", name}, key_out, err)) {
      return make_error(Errc::kInternal, "ldns-keygen failed for " + name + ": " + log_tail(err));
    }
    std::string base = read_file(key_out);
    while (!base.empty() && (base.back() == '\n' || base.back() == '\r')) base.pop_back();
    if (base.empty() || base.find('/') != std::string::npos)
      return make_error(Errc::kInternal, "ldns-keygen printed no key name for " + name);
    // NSEC (no -n); signatures valid from now for four weeks (ldns-signzone's default).
    const std::string signed_file = zone_file + ".signed";
    if (!run_in(dir_, {kSignzonePath, "-f", signed_file, zone_file, dir_ + "/" + base},
                dir_ + "/signzone.out", err)) {
      return make_error(Errc::kInternal, "ldns-signzone failed for " + name + ": " + log_tail(err));
    }
    if (!zones[i].added_after_signing.empty()) {
      std::ofstream z(signed_file, std::ios::app);
      for (const auto& r : zones[i].added_after_signing) z << r << "\n";
    }
    std::string ds = read_file(dir_ + "/" + base + ".ds");
    if (ds.find(" DS ") == std::string::npos && ds.find("\tDS\t") == std::string::npos)
      return make_error(Errc::kInternal, "ldns-keygen wrote no DS record for " + name);
    anchors += ds;
    if (anchors.back() != '\n') anchors += '\n';
  }
  trust_anchor_file_ = dir_ + "/trust-anchors.ds";
  std::ofstream(trust_anchor_file_) << anchors;
  return {};
}

Result<std::unique_ptr<LocalDnsServer>> LocalDnsServer::start(const LocalZoneData& data) {
  if (!available()) return make_error(Errc::kNotFound, "unbound is not installed");
  if (!data.signed_zones.empty() && !signing_available())
    return make_error(Errc::kNotFound, "ldns-keygen and ldns-signzone (ldnsutils) are missing");
  char tmpl[] = "/tmp/tegami-dns-XXXXXX";
  if (!mkdtemp(tmpl)) return make_error(Errc::kInternal, "cannot create a temporary folder");
  std::unique_ptr<LocalDnsServer> srv(new LocalDnsServer());
  srv->dir_ = tmpl;
  if (!data.signed_zones.empty()) {
    if (auto st = srv->sign_zones(data.signed_zones); !st) return st.error();
  }
  const std::string conf = srv->dir_ + "/unbound.conf";
  const std::string log = srv->dir_ + "/unbound.log";
  for (int attempt = 0; attempt < 5; ++attempt) {
    int port = free_port();
    if (port <= 0) continue;
    {
      std::ofstream c(conf);
      c << "server:\n  interface: 127.0.0.1\n  port: " << port << "\n"
        << "  do-daemonize: no\n  username: \"\"\n  chroot: \"\"\n"
        << "  directory: \"" << srv->dir_ << "\"\n"
        << "  pidfile: \"\"\n  use-syslog: no\n  logfile: \"\"\n  do-ip6: no\n"
        << "  module-config: \"iterator\"\n";
      for (const auto& z : data.static_zones) c << "  local-zone: " << quote(z) << " static\n";
      for (const auto& z : data.refused_zones) c << "  local-zone: " << quote(z) << " refuse\n";
      for (const auto& d : data.local_data) c << "  local-data: " << quote(d) << "\n";
      for (const auto& d : data.local_data_ptr) c << "  local-data-ptr: " << quote(d) << "\n";
      // unbound answers some special-use zones ("test.", "invalid." ...) itself: a transparent
      // local zone lets the queries for a signed zone under one reach its auth-zone.
      for (const auto& z : data.signed_zones)
        c << "  local-zone: " << quote(with_dot(z.name)) << " transparent\n";
      for (size_t i = 0; i < data.signed_zones.size(); ++i) {
        c << "auth-zone:\n  name: " << quote(with_dot(data.signed_zones[i].name)) << "\n"
          << "  zonefile: \"" << srv->dir_ << "/zone" << i << ".signed\"\n"
          << "  for-downstream: yes\n  for-upstream: no\n  fallback-enabled: no\n";
      }
      c << "remote-control:\n  control-enable: no\n";
    }
    const pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) break;
    if (pid == 0) {
      // unbound ends with the test process even when no destructor runs (a crash, a ctest
      // timeout's SIGKILL). The signal comes when the forking thread ends: start() is called
      // from the thread that keeps the server (gtest's main thread).
      if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(126);
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      execl(kUnboundPath, "unbound", "-d", "-c", conf.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 100; ++i) {  // 5 s
      // Ours, not another process that took the free port first: unbound logs "start of
      // service" only once its sockets are bound (it exits when the port is taken).
      if (tcp_listening(port) && read_file(log).find("start of service") != std::string::npos) {
        srv->pid_ = pid;
        srv->port_ = port;
        return srv;
      }
      int status;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;  // exited: the port was taken or the config is bad; try again
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (pid > 0) stop_process(pid);
  }
  return make_error(Errc::kInternal, "unbound did not start: " + log_tail(log));
}

LocalDnsServer::~LocalDnsServer() {
  if (pid_ > 0) stop_process(pid_);
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

}  // namespace tegami::dns
