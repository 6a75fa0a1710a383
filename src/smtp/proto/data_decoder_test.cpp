#include "smtp/proto/data_decoder.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <random>

namespace tegami::smtp::proto {
namespace {

struct Decoded {
  std::string message;
  size_t used = 0;
  bool done = false;
  bool too_big = false;
  bool bare = false;
};

Decoded decode_all(std::string_view in, uint64_t max = 1 << 20) {
  DataDecoder d(max);
  Decoded r;
  r.used = d.feed(in);
  r.done = d.done();
  r.too_big = d.too_big();
  r.bare = d.saw_bare_newline();
  r.message = d.take();
  return r;
}

TEST(DataDecoder, Simple) {
  auto r = decode_all("Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n");
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.message, "Subject: x\r\n\r\nbody\r\n");
  EXPECT_EQ(r.used, std::string_view("Subject: x\r\n\r\nbody\r\n.\r\n").size());
  EXPECT_FALSE(r.bare);
}

TEST(DataDecoder, EmptyMessage) {
  auto r = decode_all(".\r\n");
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.message, "");
}

TEST(DataDecoder, Unstuffing) {
  auto r = decode_all("..leading\r\n...\r\n. x\r\n.\r\n");
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.message, ".leading\r\n..\r\n x\r\n");
  // A dot in the middle of a line is data.
  EXPECT_EQ(decode_all("a.b\r\n.\r\n").message, "a.b\r\n");
}

TEST(DataDecoder, SmugglingFormsDoNotEndData) {
  for (std::string_view evil :
       {"a\n.\nMAIL FROM:<x@y>\r\n", "a\r.\rMAIL\r\n", "a\n.\r\nMAIL FROM:<x@y>\r\n",
        "a\r\n.\nMAIL\r\n", "a\r\n.\rMAIL\r\n", "a\r\n. \r\nMAIL\r\n"}) {
    auto r = decode_all(evil);
    EXPECT_FALSE(r.done) << evil;
    EXPECT_EQ(r.used, evil.size());
  }
  auto r = decode_all("a\n.\nb\r\n.\r\n");
  EXPECT_TRUE(r.done);
  EXPECT_TRUE(r.bare);
  // Bare newlines are stored as CRLF; the "." after a bare LF is data, not stuffing.
  EXPECT_EQ(r.message, "a\r\n.\r\nb\r\n");
}

TEST(DataDecoder, BareCrNormalised) {
  auto r = decode_all("a\rb\r\r\nc\r\n.\r\n");
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.message, "a\r\nb\r\n\r\nc\r\n");
  r = decode_all(".\rx\r\n.\r\n");
  EXPECT_EQ(r.message, "\r\nx\r\n");
}

TEST(DataDecoder, SplitAtEveryBoundary) {
  const std::string input =
      "From: a@b\r\n\r\n..x\r\n.\r\r\nline\n.y\r\n\r\n..\r\nz\r\n.\r\nRSET\r\n";
  const std::string expect = decode_all(input).message;
  ASSERT_EQ(expect, "From: a@b\r\n\r\n.x\r\n\r\n\r\nline\r\n.y\r\n\r\n.\r\nz\r\n");
  const size_t end = input.find("RSET");
  for (size_t a = 0; a <= input.size(); ++a) {
    for (size_t b = a; b <= input.size(); ++b) {
      DataDecoder d(1 << 20);
      size_t used = d.feed(std::string_view(input).substr(0, a));
      if (!d.done()) used += d.feed(std::string_view(input).substr(a, b - a));
      if (!d.done()) used += d.feed(std::string_view(input).substr(b));
      ASSERT_TRUE(d.done()) << a << "," << b;
      ASSERT_EQ(used, end) << a << "," << b;
      ASSERT_EQ(d.message(), expect) << a << "," << b;
    }
  }
}

TEST(DataDecoder, OneByteAtATime) {
  std::string msg;
  for (int i = 0; i < 200; ++i) msg += (i % 7 == 0 ? "." : "") + std::to_string(i) + "\r\n";
  std::string wire = dot_stuff(msg);
  DataDecoder d(1 << 20);
  size_t used = 0;
  for (char c : wire) used += d.feed(std::string_view(&c, 1));
  EXPECT_TRUE(d.done());
  EXPECT_EQ(used, wire.size());
  EXPECT_EQ(d.message(), msg);
}

// Whole buffers take the fast path over ordinary lines; one byte at a time never does. Both
// (and random chunkings) decode random content alike.
TEST(DataDecoder, FastPathMatchesByteAtATime) {
  std::mt19937 rng(42);
  const char alphabet[] = {'a', 'b', '.', '\r', '\n', '\r', '\n', '\0', '\xe3', ' '};
  for (int round = 0; round < 3000; ++round) {
    std::string input;
    int len = static_cast<int>(rng() % 120);
    for (int k = 0; k < len; ++k) input += alphabet[rng() % sizeof alphabet];
    input += "\r\n.\r\nNEXT";
    DataDecoder slow(1 << 20);
    size_t slow_used = 0;
    for (char c : input) {
      if (slow.done()) break;
      slow_used += slow.feed(std::string_view(&c, 1));
    }
    DataDecoder whole(1 << 20);
    size_t whole_used = whole.feed(input);
    DataDecoder chunked(1 << 20);
    size_t chunked_used = 0;
    for (size_t at = 0; at < input.size() && !chunked.done();) {
      size_t n = 1 + rng() % 16;
      chunked_used += chunked.feed(std::string_view(input).substr(at, n));
      at += n;
    }
    for (DataDecoder* d : {&whole, &chunked}) {
      ASSERT_TRUE(d->done()) << round;
      ASSERT_EQ(d->message(), slow.message()) << round;
      ASSERT_EQ(d->saw_bare_newline(), slow.saw_bare_newline()) << round;
      ASSERT_EQ(d->saw_nul(), slow.saw_nul()) << round;
      ASSERT_EQ(d->has_8bit(), slow.has_8bit()) << round;
      ASSERT_EQ(d->size(), slow.size()) << round;
    }
    ASSERT_EQ(whole_used, slow_used) << round;
    ASSERT_EQ(chunked_used, slow_used) << round;
  }
}

TEST(DataDecoder, SizeLimitConsumesToTerminator) {
  std::string body(5000, 'x');
  std::string wire = "Subject: big\r\n\r\n" + body + "\r\n.\r\nQUIT\r\n";
  DataDecoder d(1000);
  size_t used = 0;
  for (size_t i = 0; i < wire.size() && !d.done(); i += 100)
    used += d.feed(std::string_view(wire).substr(i, 100));
  EXPECT_TRUE(d.done());
  EXPECT_TRUE(d.too_big());
  EXPECT_EQ(d.message(), "");
  EXPECT_EQ(d.size(), 16u + 5000 + 2);
  EXPECT_EQ(used, wire.find("QUIT"));
  // Exactly at the limit is fine.
  DataDecoder e(6);
  e.feed("abcd\r\n.\r\n");
  EXPECT_TRUE(e.done());
  EXPECT_FALSE(e.too_big());
}

TEST(DataDecoder, NulAnd8Bit) {
  DataDecoder d(100);
  d.feed(std::string_view("a\0b\xe3\x81\x82\r\n.\r\n", 11));
  EXPECT_TRUE(d.done());
  EXPECT_TRUE(d.saw_nul());
  EXPECT_TRUE(d.has_8bit());
  EXPECT_EQ(d.message().size(), 8u);
}

TEST(DataDecoder, AfterDoneConsumesNothing) {
  DataDecoder d(100);
  EXPECT_EQ(d.feed(".\r\nMORE"), 3u);
  EXPECT_EQ(d.feed("MORE"), 0u);
}

TEST(DotStuff, RoundTrip) {
  EXPECT_EQ(dot_stuff(""), ".\r\n");
  EXPECT_EQ(dot_stuff("a"), "a\r\n.\r\n");
  EXPECT_EQ(dot_stuff(".a\n.\r\n"), "..a\r\n..\r\n.\r\n");
  for (std::string m : {"x\r\n", ".\r\n", "..\r\n.a\r\n", "a\r\n\r\n.\r\n"}) {
    auto r = decode_all(dot_stuff(m));
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.message, m);
  }
  // Bare CR and bare LF become CRLF; a dot after either is stuffed.
  EXPECT_EQ(dot_stuff("a\rb\n.c\r.d"), "a\r\nb\r\n..c\r\n..d\r\n.\r\n");
  EXPECT_EQ(dot_stuff("a\r"), "a\r\n.\r\n");
  EXPECT_EQ(dot_stuff("\n\n"), "\r\n\r\n.\r\n");
}

// Text with bare LFs only (no CR to find) and large input: one pass, not a search per line.
TEST(DotStuff, LongBareLfTextInOnePass) {
  std::string m;
  for (int i = 0; i < 200000; ++i)
    m += (i % 7 == 0 ? ".line " : "line ") + std::to_string(i) + "\n";
  auto t0 = std::chrono::steady_clock::now();
  std::string wire = dot_stuff(m);
  auto r = decode_all(wire, 64u << 20);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(secs, 2.0);
  EXPECT_TRUE(r.done);
  std::string crlf;
  for (char c : m) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  EXPECT_TRUE(r.message == crlf) << "the decoded text differs";  // (too long to print)
}

}  // namespace
}  // namespace tegami::smtp::proto
