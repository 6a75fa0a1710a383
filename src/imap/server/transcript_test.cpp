// Runs the session transcripts in tests/transcripts/imap/*.txt (DESIGN.md §7): the client
// lines are fed at once over a MemoryStream to a session with a real SQLite store, then the
// server's lines must match the S: lines one for one.
//
// File format:
//   # comment                  ignored
//   @ loopback=false tls=false chunk=1    stream options (optional)
//   C: text                    a client line (CRLF appended); ${APP_PASSWORD} is replaced;
//                              a trailing {LITERAL} / {LITERAL+} becomes {n} / {n+} for the
//                              L: lines that follow
//   L: text                    a line of literal data (CRLF appended)
//   S: pattern                 the next server line; '*' matches any run of characters
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "imap/server/test_support.hpp"

namespace tegami::imap::server {
namespace {

namespace fs = std::filesystem;

fs::path transcript_dir() {
  if (const char* src = std::getenv("TEGAMI_SOURCE_DIR")) {
    return fs::path(src) / "tests" / "transcripts" / "imap";
  }
  return fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path() / "tests" /
         "transcripts" / "imap";
}

bool glob_match(std::string_view pat, std::string_view s) {
  size_t p = 0, i = 0, star = std::string_view::npos, mark = 0;
  while (i < s.size()) {
    if (p < pat.size() && pat[p] == '*') {
      star = p++;
      mark = i;
    } else if (p < pat.size() && pat[p] == s[i]) {
      ++p;
      ++i;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) {
    s.replace(pos, from.size(), to);
  }
}

struct Transcript {
  std::string input;
  std::vector<std::string> expected;
  bool loopback = true, tls = true;
  size_t chunk = 4096;
};

Transcript load(const fs::path& file, const std::string& app_password) {
  Transcript t;
  std::ifstream in(file, std::ios::binary);
  std::string line;
  std::string pending;  // a C: line waiting for its literal
  bool plus = false;
  std::string literal;
  auto flush_literal = [&] {
    if (pending.empty()) return;
    t.input +=
        pending + "{" + std::to_string(literal.size()) + (plus ? "+" : "") + "}\r\n" + literal;
    pending.clear();
    literal.clear();
  };
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.starts_with("L: ") || line == "L:") {
      literal += (line.size() > 3 ? line.substr(3) : "") + "\r\n";
      continue;
    }
    flush_literal();
    if (line.starts_with("C: ") || line == "C:") {
      std::string c = line.size() > 3 ? line.substr(3) : "";
      replace_all(c, "${APP_PASSWORD}", app_password);
      for (const char* marker : {"{LITERAL+}", "{LITERAL}"}) {
        if (c.ends_with(marker)) {
          plus = std::string_view(marker) == "{LITERAL+}";
          pending = c.substr(0, c.size() - std::string_view(marker).size());
        }
      }
      if (pending.empty()) t.input += c + "\r\n";
    } else if (line.starts_with("S: ") || line == "S:") {
      t.expected.push_back(line.size() > 3 ? line.substr(3) : "");
    } else if (line.starts_with("@ ")) {
      std::istringstream opts(line.substr(2));
      std::string kv;
      while (opts >> kv) {
        if (kv == "loopback=false") t.loopback = false;
        if (kv == "tls=false") t.tls = false;
        if (kv.starts_with("chunk=")) t.chunk = std::stoul(kv.substr(6));
      }
    }
  }
  flush_literal();
  return t;
}

std::vector<std::string> split_lines(const std::string& out) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t e = out.find("\r\n", pos);
    if (e == std::string::npos) e = out.size();
    lines.push_back(out.substr(pos, e - pos));
    pos = e + 2;
  }
  return lines;
}

TEST(ImapTranscripts, AllFiles) {
  fs::path dir = transcript_dir();
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".txt") continue;
    ++files;
    SCOPED_TRACE(entry.path().filename().string());
    testing::World w;
    Transcript t = load(entry.path(), w.app_password);
    std::string out = w.run(t.input, t.loopback, t.tls, t.chunk);
    std::vector<std::string> got = split_lines(out);
    size_t n = std::min(got.size(), t.expected.size());
    size_t i = 0;
    for (; i < n; ++i) {
      if (!glob_match(t.expected[i], got[i])) break;
    }
    EXPECT_TRUE(i == t.expected.size() && i == got.size())
        << "first difference at server line " << i + 1
        << "\n  expected: " << (i < t.expected.size() ? t.expected[i] : "<end>")
        << "\n  got:      " << (i < got.size() ? got[i] : "<end>") << "\nfull output:\n"
        << out;
  }
  EXPECT_GT(files, 0);
}

}  // namespace
}  // namespace tegami::imap::server
