// fillstore: builds a Tegami data folder with one large mailbox, fast and reproducibly, for the
// large-mailbox benchmark (bench/large_mailbox.sh). It writes through the store API
// (Store::deliver_many, thousands of messages per transaction), so the folder is exactly what
// `tegami serve` would have written itself.
//
//   fillstore --data DIR [--messages N] [--batch B] [--seed S]
//
// The folder gets what development mode expects (src/app/dev.cpp): the domain tegami.test, the
// account demo@tegami.test and DIR/dev-credentials.txt ("account=..." and "app=..."), so that
// `tegami serve` with `dev = true` and this data_dir serves the messages, and clients sign in
// as demo@tegami.test with the "app" password. N (default 1,000,000) small distinct messages go
// to INBOX: varied senders, subjects, bodies and dates (so SEARCH has work to do), one in 1,000
// with the word "needle" in its body, about 70% \Seen, 2% \Flagged. The same N and seed give
// the same messages. Refuses a folder that already has messages.
//
//   fillstore --maildir DIR [--messages N] [--seed S]
//
// writes the very same N messages (same generator, seed, flags and internal dates) as a Maildir
// for Dovecot instead, so both servers hold identical mail (bench/large_vs_dovecot.sh): one file
// a message in DIR/cur, with LF line endings as Dovecot stores mail, named as Dovecot's own
// deliveries are, "<date>.M<usec>P<pid>Q<n>.fillstore,S=<size>,W=<size with CRLF>:2,<flags>"
// (flags F for \Flagged and S for \Seen), and its mtime set to the internal date. The names
// sort by date, which is how Dovecot orders new files when it gives them UIDs on its first sync,
// so UID n is the same message in both servers. No Dovecot index is written: Dovecot builds it
// on first access. Refuses a DIR/cur that already has files.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <future>
#include <string>
#include <vector>

#include "auth/app_passwords.hpp"
#include "auth/authenticator.hpp"
#include "index/message_index.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace {

using namespace tegami;
using Steady = std::chrono::steady_clock;

constexpr const char* kDomain = "tegami.test";
constexpr const char* kAddress = "demo@tegami.test";

// splitmix64: small, fast, and the same everywhere.
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(next() % n); }
};

// A vocabulary of 4,096 made-up words (two or three syllables), so texts differ and a search
// for a word matches a small share of the messages.
std::vector<std::string> make_words() {
  static const char* syl[] = {"ka", "lo", "mi", "ne", "ru", "sa", "to", "wi",
                              "ba", "de", "fu", "go", "ha", "ji", "ko", "pe"};
  std::vector<std::string> w;
  for (int i = 0; i < 4096; ++i) {
    std::string s = std::string(syl[i % 16]) + syl[(i / 16) % 16];
    if (i >= 256) s += syl[(i / 256) % 16];
    w.push_back(s);
  }
  return w;
}

struct Made {
  std::string raw;
  uint32_t flags = 0;
  int64_t date = 0;
};

Made make_message(uint64_t seed, uint64_t i, const std::vector<std::string>& words) {
  Rng r{seed * 0x100000001b3ULL + i};
  static const char* days[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  Made m;
  // Dates over ten years from 2016, increasing with the uid (plus jitter), like a real inbox.
  m.date = 1451606400 + static_cast<int64_t>(i) * 315 + r.below(300);
  time_t t = static_cast<time_t>(m.date);
  struct tm tm;
  gmtime_r(&t, &tm);
  char date[64];
  std::snprintf(date, sizeof date, "%s, %d %s %d %02d:%02d:%02d +0000", days[(m.date / 86400) % 7],
                tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  auto word = [&] { return words[r.below(static_cast<uint32_t>(words.size()))]; };
  uint32_t sender = r.below(500);
  std::string subject = word() + " " + word() + " " + word() + " #" + std::to_string(i);
  std::string& s = m.raw;
  s.reserve(1024);
  s += "From: " + words[sender] + " <" + words[sender] + "@sender" + std::to_string(sender % 37) +
       ".example>\r\n";
  s += "To: demo@tegami.test\r\n";
  s += "Subject: " + subject + "\r\n";
  s += std::string("Date: ") + date + "\r\n";
  s += "Message-ID: <" + std::to_string(i) + "." + std::to_string(seed) + "@fillstore>\r\n";
  s += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n";
  int lines = 4 + static_cast<int>(r.below(10));
  bool needle = r.below(1000) == 0;
  int needle_line = needle ? static_cast<int>(r.below(static_cast<uint32_t>(lines))) : -1;
  for (int l = 0; l < lines; ++l) {
    int n = 6 + static_cast<int>(r.below(8));
    for (int k = 0; k < n; ++k) {
      if (k) s += ' ';
      s += (l == needle_line && k == 2) ? std::string("needle") : word();
    }
    s += "\r\n";
  }
  uint32_t f = r.below(100);
  if (f < 70) m.flags |= store::kSeen;
  if (f % 50 == 7) m.flags |= store::kFlagged;
  return m;
}

struct Batch {
  std::vector<Made> made;
  std::vector<index::MessageIndex> idx;
};

Batch make_batch(uint64_t seed, uint64_t from, uint64_t to, const std::vector<std::string>& words) {
  Batch b;
  b.made.reserve(to - from);
  b.idx.reserve(to - from);
  for (uint64_t i = from; i < to; ++i) {
    b.made.push_back(make_message(seed, i, words));
    b.idx.push_back(index::build(b.made.back().raw));
  }
  return b;
}

int usage() {
  std::fprintf(stderr,
               "usage: fillstore --data DIR [--messages N] [--batch B] [--seed S]\n"
               "       fillstore --maildir DIR [--messages N] [--seed S]\n");
  return 2;
}

// The Maildir form of the same messages (see the header comment).
int fill_maildir(const std::string& dir, uint64_t n, uint64_t seed) {
  auto t0 = Steady::now();
  for (const char* sub : {"", "/cur", "/new", "/tmp"}) {
    std::string p = dir + sub;
    if (::mkdir(p.c_str(), 0700) != 0 && errno != EEXIST) {
      std::fprintf(stderr, "fillstore: mkdir %s: %s\n", p.c_str(), std::strerror(errno));
      return 1;
    }
  }
  const std::string cur = dir + "/cur/";
  if (DIR* d = ::opendir(cur.c_str())) {
    bool empty = true;
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') empty = false;
    }
    ::closedir(d);
    if (!empty) {
      std::fprintf(stderr, "fillstore: %s already has messages\n", cur.c_str());
      return 1;
    }
  }
  const std::vector<std::string> words = make_words();
  uint64_t bytes = 0;
  std::string lf;
  for (uint64_t i = 0; i < n; ++i) {
    Made m = make_message(seed, i, words);
    lf.clear();
    lf.reserve(m.raw.size());
    for (size_t k = 0; k < m.raw.size(); ++k) {
      if (m.raw[k] == '\r' && k + 1 < m.raw.size() && m.raw[k + 1] == '\n') continue;
      lf += m.raw[k];
    }
    std::string flags;
    if (m.flags & store::kFlagged) flags += 'F';
    if (m.flags & store::kSeen) flags += 'S';
    char name[160];
    std::snprintf(name, sizeof name, "%lld.M%lluP1Q%llu.fillstore,S=%zu,W=%zu:2,%s",
                  static_cast<long long>(m.date), static_cast<unsigned long long>(i % 1000000),
                  static_cast<unsigned long long>(i + 1), lf.size(), m.raw.size(), flags.c_str());
    std::string path = cur + name;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || ::write(fd, lf.data(), lf.size()) != static_cast<ssize_t>(lf.size())) {
      std::fprintf(stderr, "fillstore: write %s: %s\n", path.c_str(), std::strerror(errno));
      return 1;
    }
    struct timespec times[2] = {{static_cast<time_t>(m.date), 0}, {static_cast<time_t>(m.date), 0}};
    if (::futimens(fd, times) != 0 || ::close(fd) != 0) {
      std::fprintf(stderr, "fillstore: %s: %s\n", path.c_str(), std::strerror(errno));
      return 1;
    }
    bytes += lf.size();
    if ((i + 1) % 100000 == 0 || i + 1 == n) {
      double s = std::chrono::duration<double>(Steady::now() - t0).count();
      std::fprintf(stderr, "fillstore: %llu messages (%.0f MB) in %.1f s\n",
                   static_cast<unsigned long long>(i + 1), bytes / 1e6, s);
    }
  }
  double s = std::chrono::duration<double>(Steady::now() - t0).count();
  std::printf("fillstore: %llu messages, %.0f MB, %.1f s, maildir %s\n",
              static_cast<unsigned long long>(n), bytes / 1e6, s, dir.c_str());
  return 0;
}

template <class T>
T must(Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "fillstore: %s: %s\n", what, r.error().message.c_str());
    std::exit(1);
  }
  return std::move(*r);
}

}  // namespace

int main(int argc, char** argv) {
  std::string data, maildir;
  uint64_t n = 1000000, batch = 10000, seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--data")
      data = v;
    else if (k == "--maildir")
      maildir = v;
    else if (k == "--messages")
      n = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--batch")
      batch = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--seed")
      seed = std::strtoull(v.c_str(), nullptr, 10);
    else
      return usage();
  }
  if (!maildir.empty() && !data.empty()) return usage();
  if (!maildir.empty()) return fill_maildir(maildir, n, seed);
  if (data.empty() || batch == 0) return usage();
  auto t0 = Steady::now();
  auto st = must(store::open_sqlite_store(data), "open the store");
  if (!st->find_domain(kDomain).ok()) must(st->add_domain(kDomain), "add the domain");
  auto account = st->find_account_by_address(kAddress);
  std::string password = "fillstore-demo-password";
  if (!account.ok()) {
    account = must(st->add_account(kAddress, auth::hash_password(password), 0), "add the account");
  }
  auto inbox = must(st->get_mailbox(account->id, "INBOX"), "find INBOX");
  if (inbox.messages != 0) {
    std::fprintf(stderr, "fillstore: %s already has %u messages in INBOX\n", data.c_str(),
                 inbox.messages);
    return 1;
  }
  auto app = must(auth::create_app_password(*st, *account, "dev demo"), "create an app password");
  {
    std::ofstream out(data + "/dev-credentials.txt", std::ios::trunc);
    out << "account=" << password << "\napp=" << app.second << "\n";
    if (!out) {
      std::fprintf(stderr, "fillstore: cannot write %s/dev-credentials.txt\n", data.c_str());
      return 1;
    }
  }
  ::chmod((data + "/dev-credentials.txt").c_str(), 0600);

  const std::vector<std::string> words = make_words();
  // Builds the next batch (messages and their index) while the current one is committed.
  auto build = [&](uint64_t from) {
    return std::async(std::launch::async, make_batch, seed, from, std::min(n, from + batch),
                      std::cref(words));
  };
  std::future<Batch> pending = build(0);
  uint64_t bytes = 0;
  for (uint64_t from = 0; from < n; from += batch) {
    Batch b = pending.get();
    if (from + batch < n) pending = build(from + batch);
    std::vector<store::NewMessage> msgs;
    msgs.reserve(b.made.size());
    for (size_t k = 0; k < b.made.size(); ++k) {
      store::NewMessage m;
      m.raw = b.made[k].raw;
      m.idx = std::move(b.idx[k]);
      m.target = store::DeliveryTarget{account->id, inbox.id, b.made[k].flags, {}, false};
      m.internal_date = b.made[k].date;
      bytes += m.raw.size();
      msgs.push_back(std::move(m));
    }
    must(st->deliver_many(msgs), "deliver");
    uint64_t done = std::min(n, from + batch);
    if (done % 100000 < batch || done == n) {
      double s = std::chrono::duration<double>(Steady::now() - t0).count();
      std::fprintf(stderr, "fillstore: %llu messages (%.0f MB) in %.1f s\n",
                   static_cast<unsigned long long>(done), bytes / 1e6, s);
    }
  }
  double s = std::chrono::duration<double>(Steady::now() - t0).count();
  std::printf("fillstore: %llu messages, %.0f MB, %.1f s, %s\n", static_cast<unsigned long long>(n),
              bytes / 1e6, s, data.c_str());
  return 0;
}
