#include "store/sqlite/blob_files.hpp"

#include "store/sqlite/db.hpp"  // TG_TRY

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace tegami::store::sqlite {
namespace {

std::atomic<uint64_t> g_tmp_counter{0};

std::string parent_of(const std::string& p) {
  auto slash = p.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return p.substr(0, slash);
}

bool is_hex_hash(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

Error sys_error(const std::string& what) {
  int e = errno;
  Errc c = (e == ENOSPC || e == EDQUOT || e == EINTR || e == EAGAIN) ? Errc::kTemporary
                                                                     : Errc::kInternal;
  return make_error(c, what + ": " + std::strerror(e));
}

Status fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return sys_error("cannot open folder " + dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return sys_error("cannot fsync folder " + dir);
  return {};
}

Status ensure_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0) return fsync_dir(parent_of(dir));
  if (errno == EEXIST) return {};
  return sys_error("cannot create folder " + dir);
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

Status BlobFiles::init() { return ensure_dir(root_); }

std::string BlobFiles::path_for(std::string_view hash) const {
  std::string p = root_;
  p += '/';
  p += hash.substr(0, 2);
  p += '/';
  p += hash;
  return p;
}

bool BlobFiles::exists(std::string_view hash) const {
  struct stat st;
  return ::stat(path_for(hash).c_str(), &st) == 0;
}

Status BlobFiles::write(std::string_view hash, std::string_view data) {
  std::string dir = root_ + "/" + std::string(hash.substr(0, 2));
  TG_TRY(ensure_dir(dir));
  std::string final_path = path_for(hash);
  std::string tmp = final_path + "." + std::to_string(::getpid()) + "." +
                    std::to_string(g_tmp_counter.fetch_add(1)) + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return sys_error("cannot create " + tmp);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      Error e = sys_error("cannot write " + tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return e;
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Error e = sys_error("cannot fsync " + tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return e;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
    Error e = sys_error("cannot rename " + tmp);
    ::unlink(tmp.c_str());
    return e;
  }
  return fsync_dir(dir);
}

Result<std::string> BlobFiles::read(std::string_view hash, int64_t expected_size) const {
  std::string p = path_for(hash);
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return make_error(Errc::kNotFound, "message content is gone");
    return sys_error("cannot open " + p);
  }
  std::string out;
  out.resize(static_cast<size_t>(expected_size));
  size_t off = 0;
  while (off < out.size()) {
    ssize_t n = ::pread(fd, out.data() + off, out.size() - off, static_cast<off_t>(off));
    if (n < 0) {
      if (errno == EINTR) continue;
      Error e = sys_error("cannot read " + p);
      ::close(fd);
      return e;
    }
    if (n == 0) break;
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  if (off != out.size()) {
    return make_error(Errc::kInternal, "message file " + p + " is shorter than recorded");
  }
  return out;
}

void BlobFiles::remove(std::string_view hash) { ::unlink(path_for(hash).c_str()); }

int BlobFiles::cleanup(const std::function<bool(std::string_view hash)>& referenced) {
  int removed = 0;
  DIR* top = ::opendir(root_.c_str());
  if (top == nullptr) return 0;
  std::vector<std::string> subdirs;
  while (dirent* e = ::readdir(top)) {
    std::string n = e->d_name;
    if (n.size() == 2 && n != "..") subdirs.push_back(n);
  }
  ::closedir(top);
  for (const auto& sd : subdirs) {
    std::string dir = root_ + "/" + sd;
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) continue;
    std::vector<std::string> doomed;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n == "." || n == "..") continue;
      bool tmp = n.size() > 4 && n.compare(n.size() - 4, 4, ".tmp") == 0;
      if (tmp || (is_hex_hash(n) && !referenced(n))) doomed.push_back(dir + "/" + n);
    }
    ::closedir(d);
    for (const auto& p : doomed) {
      if (::unlink(p.c_str()) == 0) ++removed;
    }
  }
  return removed;
}

}  // namespace tegami::store::sqlite
