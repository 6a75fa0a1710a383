#include "store/sqlite/blob_log.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>

#include "store/sqlite/blob_files.hpp"  // sys_error, ensure_dir, fsync_dir
#include "store/sqlite/db.hpp"          // TG_TRY, TG_ASSIGN

namespace tegami::store::sqlite {
namespace {

constexpr char kMagic[8] = {'t', 'e', 'g', 'a', 'm', 'i', 'l', 'g'};

void put_header(char* h, int64_t size) {
  std::memcpy(h, kMagic, 8);
  for (int i = 0; i < 8; ++i)
    h[8 + i] = static_cast<char>((static_cast<uint64_t>(size) >> (8 * i)) & 0xff);
}

bool parse_segment_name(const char* name, int64_t* id) {
  if (std::strlen(name) != 16) return false;
  uint64_t v = 0;
  for (int i = 0; i < 16; ++i) {
    char c = name[i];
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  if (v == 0 || v > static_cast<uint64_t>(INT64_MAX)) return false;
  *id = static_cast<int64_t>(v);
  return true;
}

// pwritev of all of `iov` (two parts at most) at `at`, resuming after short writes.
bool write_all_at(int fd, iovec* iov, int n, int64_t at) {
  while (n > 0) {
    ssize_t w = ::pwritev(fd, iov, n, at);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    at += w;
    auto left = static_cast<size_t>(w);
    while (n > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --n;
    }
    if (n > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return true;
}

void punch_range(int fd, int64_t from, int64_t to) {
  if (to > from) {
    (void)::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, from, to - from);
  }
}

}  // namespace

LogSegment::~LogSegment() {
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);  // as sync() does behind the end
  ::close(fd);
}

Status BlobLog::init() { return ensure_dir(dir_); }

std::string BlobLog::path_for(int64_t segment) const {
  char name[17];
  std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(segment));
  return dir_ + "/" + name;
}

int64_t BlobLog::footprint(int64_t size) { return (kHeader + size + kAlign - 1) / kAlign * kAlign; }

Result<std::shared_ptr<LogSegment>> BlobLog::open_new_segment() {
  std::random_device rd;
  for (int attempt = 0; attempt < 8; ++attempt) {
    const uint64_t r = (static_cast<uint64_t>(rd()) << 32) | rd();
    const auto id = static_cast<int64_t>(r >> 1);
    if (id == 0) continue;
    const std::string path = path_for(id);
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == EEXIST) continue;
      return sys_error("cannot create " + path);
    }
    auto seg = std::make_shared<LogSegment>(id, fd);
    // The name must survive a power loss before any commit names a record in it.
    TG_TRY(fsync_dir(dir_));
    return seg;
  }
  return make_error(Errc::kInternal, "cannot choose a new body log name in " + dir_);
}

Result<LogSpan> BlobLog::append(std::string_view body) {
  const auto size = static_cast<int64_t>(body.size());
  const int64_t need = footprint(size);
  LogSpan span;
  {
    std::lock_guard lk(mu_);
    const int64_t end = current_ ? current_->end.load(std::memory_order_relaxed) : 0;
    if (!current_ || (end > 0 && end + need > kSegmentMax)) {
      TG_ASSIGN(current_, open_new_segment());
    }
    span.segment = current_;
    span.at = current_->end.load(std::memory_order_relaxed);
    current_->end.store(span.at + need, std::memory_order_relaxed);
  }
  span.size = size;
  char header[kHeader];
  put_header(header, size);
  iovec iov[2] = {{header, sizeof header}, {const_cast<char*>(body.data()), body.size()}};
  if (!write_all_at(span.segment->fd, iov, 2, span.at)) {
    return sys_error("cannot write to " + path_for(span.segment->id));
  }
  return span;
}

Status BlobLog::sync(LogSegment& segment) {
  const int64_t written = segment.end.load(std::memory_order_relaxed);
  if (::fdatasync(segment.fd) != 0) return sys_error("cannot fsync a body log");
  const int64_t below = written - kCachedBehind;
  if (below - segment.uncached_to >= kUncacheStep) {
    (void)::posix_fadvise(segment.fd, segment.uncached_to, below - segment.uncached_to,
                          POSIX_FADV_DONTNEED);
    segment.uncached_to = below;
  }
  return {};
}

Result<std::string> BlobLog::read(const LogPlace& p) const {
  const std::string path = path_for(p.segment);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return make_error(Errc::kNotFound, "message content is gone");
    return sys_error("cannot open " + path);
  }
  char header[kHeader];
  std::string out(static_cast<size_t>(p.size), '\0');
  iovec iov[2] = {{header, sizeof header}, {out.data(), out.size()}};
  const auto want = static_cast<ssize_t>(kHeader + p.size);
  ssize_t got = 0;
  while (true) {
    got = ::preadv(fd, iov, 2, p.at);
    if (got >= 0 || errno != EINTR) break;
  }
  const int err = errno;
  ::close(fd);
  if (got < 0) {
    errno = err;
    return sys_error("cannot read " + path);
  }
  // One preadv of a regular file returns everything unless the file is shorter.
  char expected[kHeader];
  put_header(expected, p.size);
  if (got != want || std::memcmp(header, expected, kHeader) != 0) {
    static const char kZero[kHeader] = {};
    if (got >= kHeader && std::memcmp(header, kZero, kHeader) == 0) {
      return make_error(Errc::kNotFound, "message content is gone");
    }
    return make_error(Errc::kInternal, "message record at " + std::to_string(p.at) + " in " + path +
                                           " is damaged or shorter than recorded");
  }
  return out;
}

void BlobLog::punch(const LogPlace& p) {
  std::shared_ptr<LogSegment> seg;
  {
    std::lock_guard lk(mu_);
    if (current_ && current_->id == p.segment) seg = current_;
  }
  if (seg) {
    punch_range(seg->fd, p.at, p.at + footprint(p.size));
    return;
  }
  int fd = ::open(path_for(p.segment).c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  punch_range(fd, p.at, p.at + footprint(p.size));
  ::close(fd);
}

int BlobLog::cleanup(const std::function<Result<std::vector<LogPlace>>(int64_t)>& places) {
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) return 0;
  std::vector<int64_t> ids;
  while (dirent* e = ::readdir(d)) {
    int64_t id = 0;
    if (parse_segment_name(e->d_name, &id)) ids.push_back(id);
  }
  ::closedir(d);
  int removed = 0;
  for (int64_t id : ids) {
    auto live = places(id);
    if (!live.ok()) continue;  // when unsure, keep
    const std::string path = path_for(id);
    if (live->empty()) {
      if (::unlink(path.c_str()) == 0) ++removed;
      continue;
    }
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st;
    if (::fstat(fd, &st) == 0) {
      // Punch each gap between live records that still holds data (skipping holes already
      // punched, which lseek(SEEK_DATA) finds cheaply).
      auto gap = [&](int64_t from, int64_t to) {
        if (to <= from) return;
        off_t data = ::lseek(fd, from, SEEK_DATA);
        if (data >= 0 && data < to) punch_range(fd, from, to);
      };
      int64_t pos = 0;
      for (const LogPlace& p : *live) {
        gap(pos, p.at);
        pos = std::max(pos, p.at + footprint(p.size));
      }
      gap(pos, (st.st_size + kAlign - 1) / kAlign * kAlign);  // the last block whole
    }
    ::close(fd);
  }
  return removed;
}

uint64_t BlobLog::ReadEpochs::begin() {
  std::lock_guard lk(mu_);
  ++open_[epoch_];
  return epoch_;
}

void BlobLog::ReadEpochs::end(uint64_t epoch) {
  std::lock_guard lk(mu_);
  auto it = open_.find(epoch);
  if (it != open_.end() && --it->second == 0) open_.erase(it);
}

uint64_t BlobLog::ReadEpochs::advance() {
  std::lock_guard lk(mu_);
  return ++epoch_;
}

uint64_t BlobLog::ReadEpochs::oldest_reader() {
  std::lock_guard lk(mu_);
  return open_.empty() ? epoch_ : open_.begin()->first;
}

}  // namespace tegami::store::sqlite
