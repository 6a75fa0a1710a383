// Test DNS server on loopback; see local_server.hpp.
#include "dns/local_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

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

std::string log_tail(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  return s.size() > 600 ? s.substr(s.size() - 600) : s;
}

}  // namespace

bool LocalDnsServer::available() { return access(kUnboundPath, X_OK) == 0; }

Result<std::unique_ptr<LocalDnsServer>> LocalDnsServer::start(const LocalZoneData& data) {
  if (!available()) return make_error(Errc::kNotFound, "unbound is not installed");
  char tmpl[] = "/tmp/tegami-dns-XXXXXX";
  if (!mkdtemp(tmpl)) return make_error(Errc::kInternal, "cannot create a temporary folder");
  std::unique_ptr<LocalDnsServer> srv(new LocalDnsServer());
  srv->dir_ = tmpl;
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
      c << "remote-control:\n  control-enable: no\n";
    }
    pid_t pid = fork();
    if (pid < 0) break;
    if (pid == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      execl(kUnboundPath, "unbound", "-d", "-c", conf.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 100; ++i) {  // 5 s
      if (tcp_listening(port)) {
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
