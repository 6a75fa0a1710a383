// Runs the session transcripts in tests/transcripts/smtp/*.txt (DESIGN.md §7).
//
// Format, one item per line:
//   # comment                  ignored, as are empty lines
//   ! submission | tls | remote | dev | chunk N
//                              session options: submission mode, the stream is already TLS,
//                              the client is not on loopback, allow AUTH without TLS, read size
//   C: text                    a client line; CRLF is appended
//   c: text                    raw client bytes with escapes \r \n \t \\ \xHH; nothing appended
//   S: text                    the next server line, exactly; a final '*' matches any rest
// All client input is sent at once (pipelined); the server's lines must match the S: lines in
// order, and there must be no more of them.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "smtp/server/test_support.hpp"

namespace tegami::smtp::server {
namespace {

namespace fs = std::filesystem;

fs::path transcript_dir() {
  if (const char* src = std::getenv("TEGAMI_SOURCE_DIR"))
    return fs::path(src) / "tests/transcripts/smtp";
  // Next to this file: src/smtp/server -> repository root.
  return fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path() /
         "tests/transcripts/smtp";
}

std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out += s[i];
      continue;
    }
    char e = s[++i];
    if (e == 'r')
      out += '\r';
    else if (e == 'n')
      out += '\n';
    else if (e == 't')
      out += '\t';
    else if (e == '\\')
      out += '\\';
    else if (e == 'x' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += '\\';
      out += e;
    }
  }
  return out;
}

struct Transcript {
  std::string input;
  std::vector<std::string> expect;
  bool submission = false, tls = false, remote = false, dev = false;
  size_t chunk = 4096;
};

Transcript load(const fs::path& p) {
  Transcript t;
  std::ifstream f(p);
  std::string line;
  while (std::getline(f, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("! ", 0) == 0) {
      std::istringstream is(line.substr(2));
      std::string opt;
      while (is >> opt) {
        if (opt == "submission")
          t.submission = true;
        else if (opt == "tls")
          t.tls = true;
        else if (opt == "remote")
          t.remote = true;
        else if (opt == "dev")
          t.dev = true;
        else if (opt == "chunk")
          is >> t.chunk;
        else
          ADD_FAILURE() << p << ": unknown option " << opt;
      }
    } else if (line.rfind("C: ", 0) == 0 || line == "C:") {
      t.input += line.substr(std::min<size_t>(3, line.size())) + "\r\n";
    } else if (line.rfind("c: ", 0) == 0) {
      t.input += unescape(line.substr(3));
    } else if (line.rfind("S: ", 0) == 0) {
      t.expect.push_back(line.substr(3));
    } else {
      ADD_FAILURE() << p << ": cannot read line: " << line;
    }
  }
  return t;
}

TEST(SmtpTranscripts, All) {
  fs::path dir = transcript_dir();
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".txt") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  for (const auto& p : files) {
    SCOPED_TRACE(p.filename().string());
    Transcript t = load(p);
    testing::World w;
    Context c = w.ctx;
    if (t.submission) c.mode = Mode::kSubmission;
    c.allow_auth_without_tls = t.dev;
    std::string out = w.run_with(c, t.input, t.chunk, t.tls, !t.remote);
    auto got = testing::lines(out);
    size_t n = std::max(got.size(), t.expect.size());
    for (size_t i = 0; i < n; ++i) {
      std::string g = i < got.size() ? got[i] : "<nothing>";
      std::string e = i < t.expect.size() ? t.expect[i] : "<nothing>";
      bool ok =
          (!e.empty() && e.back() == '*') ? g.rfind(e.substr(0, e.size() - 1), 0) == 0 : g == e;
      if (!ok) {
        ADD_FAILURE() << "line " << i + 1 << "\n  expected: " << e << "\n  got:      " << g
                      << "\n--- whole output ---\n"
                      << out;
        break;
      }
    }
  }
}

}  // namespace
}  // namespace tegami::smtp::server
