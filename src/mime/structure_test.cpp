#include "mime/structure.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace tegami::mime {
namespace {

using Kind = Part::Kind;

// Structural invariants every scan must keep, whatever the input.
void check_invariants(std::string_view raw, const Structure& st) {
  ASSERT_FALSE(st.parts.empty());
  EXPECT_EQ(st.parts[0].header_start, 0u);
  EXPECT_EQ(st.parts[0].body_end, raw.size());
  for (size_t i = 0; i < st.parts.size(); ++i) {
    const Part& p = st.parts[i];
    ASSERT_LE(p.header_start, p.body_start);
    ASSERT_LE(p.body_start, p.body_end);
    ASSERT_LE(p.body_end, raw.size());
    ASSERT_LE(p.body_lines, p.body_size());
    if (p.parent != Part::kNone) {
      const Part& q = st.parts[p.parent];
      ASSERT_LT(p.parent, i);
      ASSERT_GE(p.header_start, q.body_start);
      ASSERT_LE(p.body_end, q.body_end);
    }
    if (p.kind == Kind::kMessage) {
      ASSERT_EQ(p.children.size(), 1u);
      ASSERT_EQ(st.parts[p.children[0]].header_start, p.body_start);
    }
    for (size_t c = 1; c < p.children.size(); ++c) {
      ASSERT_LE(st.parts[p.children[c - 1]].body_end, st.parts[p.children[c]].header_start);
    }
  }
}

size_t at(std::string_view raw, std::string_view needle, size_t from = 0) {
  size_t p = raw.find(needle, from);
  EXPECT_NE(p, std::string_view::npos) << needle;
  return p;
}

TEST(Structure, SimpleMessage) {
  std::string m = "From: a@b\r\nSubject: hi\r\n\r\nline 1\r\nline 2\r\n";
  auto st = scan(m);
  check_invariants(m, st);
  ASSERT_EQ(st.parts.size(), 1u);
  const Part& p = st.parts[0];
  EXPECT_EQ(p.body_start, 26u);
  EXPECT_EQ(p.body_end, m.size());
  EXPECT_EQ(p.body_lines, 2u);
  EXPECT_EQ(p.type, "text");
  EXPECT_EQ(p.subtype, "plain");
  EXPECT_FALSE(p.has_content_type);
  EXPECT_EQ(p.kind, Kind::kLeaf);
}

TEST(Structure, NoBodyAndEmpty) {
  for (std::string m : {"", "\r\n", "Subject: x", "Subject: x\r\n", "Subject: x\r\n\r\n"}) {
    auto st = scan(m);
    check_invariants(m, st);
    EXPECT_EQ(st.parts.size(), 1u);
    EXPECT_EQ(st.parts[0].body_size(), 0u);
    EXPECT_EQ(st.parts[0].body_lines, 0u);
  }
  auto st = scan("Subject: x\r\n\r\nno newline");
  EXPECT_EQ(st.parts[0].body_lines, 0u);
}

const char kNested[] =
    "From: Ann <ann@example.com>\r\n"
    "To: bob@example.org\r\n"
    "Subject: nested\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
    "\r\n"
    "This is the preamble.\r\n"
    "--outer\r\n"
    "Content-Type: multipart/alternative; boundary=inner\r\n"
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "caf=C3=A9\r\n"
    "second line\r\n"
    "--inner\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    "<p>caf\xc3\xa9</p>\r\n"
    "--inner--\r\n"
    "--outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "Content-Description: forwarded\r\n"
    "\r\n"
    "From: carol@example.net\r\n"
    "Subject: inner message\r\n"
    "\r\n"
    "inner body\r\n"
    "--outer\r\n"
    "Content-Type: application/pdf; name=\"a.pdf\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "Content-Disposition: attachment; filename=\"a.pdf\"\r\n"
    "Content-ID: <pdf@x>\r\n"
    "Content-Language: en, ja\r\n"
    "Content-Location: http://example.com/\r\n"
    " a.pdf\r\n"
    "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
    "\r\n"
    "JVBERi0xLjQK\r\n"
    "--outer--\r\n"
    "epilogue\r\n";

TEST(Structure, NestedOffsets) {
  std::string_view m = kNested;
  auto st = scan(m);
  check_invariants(m, st);
  ASSERT_EQ(st.parts.size(), 7u);
  // 0 mixed, 1 alternative, 2 plain, 3 html, 4 message/rfc822, 5 inner message, 6 pdf
  const Part& mixed = st.parts[0];
  EXPECT_EQ(mixed.kind, Kind::kMultipart);
  EXPECT_EQ(mixed.children, (std::vector<uint32_t>{1, 4, 6}));
  EXPECT_EQ(mixed.body_start, at(m, "This is the preamble"));
  EXPECT_EQ(mixed.body_end, m.size());

  const Part& alt = st.parts[1];
  EXPECT_EQ(alt.kind, Kind::kMultipart);
  EXPECT_EQ(alt.header_start, at(m, "Content-Type: multipart/alternative"));
  EXPECT_EQ(alt.body_start, at(m, "--inner"));
  EXPECT_EQ(alt.body_end, at(m, "\r\n--outer\r\nContent-Type: message"));
  EXPECT_EQ(alt.children, (std::vector<uint32_t>{2, 3}));

  const Part& plain = st.parts[2];
  EXPECT_EQ(plain.header_start, at(m, "Content-Type: text/plain"));
  EXPECT_EQ(plain.body_start, at(m, "caf=C3"));
  EXPECT_EQ(plain.body_end, at(m, "\r\n--inner\r\nContent-Type: text/html"));
  EXPECT_EQ(plain.body_lines, 1u);
  EXPECT_EQ(plain.encoding, "quoted-printable");
  EXPECT_EQ(plain.charset(), "utf-8");

  const Part& html = st.parts[3];
  EXPECT_TRUE(html.is_type("TEXT", "html"));
  EXPECT_EQ(html.body_start, at(m, "<p>"));
  EXPECT_EQ(html.body_end, at(m, "\r\n--inner--"));
  EXPECT_EQ(html.body_lines, 0u);

  const Part& msg = st.parts[4];
  EXPECT_EQ(msg.kind, Kind::kMessage);
  EXPECT_EQ(msg.description, "forwarded");
  EXPECT_EQ(msg.body_start, at(m, "From: carol"));
  EXPECT_EQ(msg.body_end, at(m, "\r\n--outer\r\nContent-Type: application/pdf"));
  EXPECT_EQ(msg.body_lines, 3u);
  const Part& inner = st.parts[5];
  EXPECT_EQ(inner.parent, 4u);
  EXPECT_EQ(inner.depth, 2u);
  EXPECT_EQ(inner.header_start, msg.body_start);
  EXPECT_EQ(inner.body_start, at(m, "inner body"));
  EXPECT_EQ(inner.body_end, msg.body_end);
  EXPECT_EQ(inner.body_lines, 0u);
  ASSERT_EQ(msg.children, (std::vector<uint32_t>{5}));
  EXPECT_EQ(st.parts[6].parent, 0u);
}

TEST(Structure, NestedFields) {
  std::string_view m = kNested;
  auto st = scan(m);
  const Part& pdf = st.parts[st.parts[0].children[2]];
  EXPECT_EQ(pdf.type, "application");
  EXPECT_EQ(pdf.encoding, "base64");
  EXPECT_EQ(pdf.disposition, "attachment");
  ASSERT_EQ(pdf.disposition_params.size(), 1u);
  EXPECT_EQ(pdf.disposition_params[0].value, "a.pdf");
  EXPECT_EQ(pdf.id, "<pdf@x>");
  EXPECT_EQ(pdf.languages, (std::vector<std::string>{"en", "ja"}));
  EXPECT_EQ(pdf.location, "http://example.com/a.pdf");
  EXPECT_EQ(pdf.md5, "Q2hlY2sgSW50ZWdyaXR5IQ==");
  EXPECT_EQ(pdf.body_start, at(m, "JVBER"));
  EXPECT_EQ(pdf.body_end, at(m, "\r\n--outer--"));
  EXPECT_EQ(pdf.body_lines, 0u);
}

TEST(Structure, DecodedBodiesAndFilenames) {
  std::string_view m = kNested;
  auto st = scan(m);
  EXPECT_EQ(decoded_text(m, st.parts[2]), "café\r\nsecond line");
  EXPECT_EQ(decoded_body(m, st.parts[6]), "%PDF-1.4\n");
  EXPECT_EQ(st.parts[6].filename(), "a.pdf");
  EXPECT_EQ(st.parts[2].filename(), "");
  std::string j =
      "Content-Type: application/octet-stream; name=\"=?UTF-8?B?5pel5pys6Kqe?=.txt\"\r\n\r\n";
  EXPECT_EQ(scan(j).parts[0].filename(), "日本語.txt");
}

TEST(Structure, MissingFinalBoundary) {
  std::string m =
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\n"
      "Content-Type: multipart/alternative; boundary=c\r\n\r\n"
      "--c\r\n\r\nfirst\r\n"
      "--b\r\n\r\nsecond\r\n";  // closes c implicitly; no --b-- at all
  auto st = scan(m);
  check_invariants(m, st);
  ASSERT_EQ(st.parts.size(), 4u);
  EXPECT_EQ(st.parts[0].children, (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(st.parts[1].children, (std::vector<uint32_t>{2}));
  EXPECT_EQ(st.parts[2].body_start, at(m, "first"));
  EXPECT_EQ(st.parts[2].body_end, at(m, "\r\n--b\r\n\r\nsecond"));
  EXPECT_EQ(st.parts[1].body_end, st.parts[2].body_end);
  EXPECT_EQ(st.parts[3].body_start, at(m, "second"));
  EXPECT_EQ(st.parts[3].body_end, m.size());
  EXPECT_EQ(st.parts[3].body_lines, 1u);
}

TEST(Structure, BareLf) {
  std::string m =
      "Content-Type: multipart/mixed; boundary=b\n\n"
      "--b\nContent-Type: text/plain\n\nhello\nworld\n--b\n\nx\n--b--\n";
  auto st = scan(m);
  check_invariants(m, st);
  ASSERT_EQ(st.parts.size(), 3u);
  EXPECT_EQ(st.parts[1].body_start, at(m, "hello"));
  EXPECT_EQ(st.parts[1].body_end, at(m, "\n--b\n\nx"));
  EXPECT_EQ(st.parts[1].body_lines, 1u);
  EXPECT_EQ(st.parts[2].body_start, at(m, "x\n--b--"));
  EXPECT_EQ(st.parts[2].body_end, st.parts[2].body_start + 1);
}

TEST(Structure, MissingBlankLine) {
  std::string m =
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n--b\r\n"  // header cut by the next delimiter
      "no header here\r\n--b\r\n"                   // no header at all
      "Content-Type: text/html\r\n<html>body without blank line\r\n--b--\r\n";
  auto st = scan(m);
  check_invariants(m, st);
  ASSERT_EQ(st.parts.size(), 4u);
  EXPECT_EQ(st.parts[1].body_size(), 0u);
  EXPECT_EQ(st.parts[1].body_start, at(m, "--b\r\nno header"));
  EXPECT_EQ(st.parts[2].header_start, st.parts[2].body_start);
  EXPECT_EQ(st.parts[2].body_start, at(m, "no header here"));
  EXPECT_TRUE(st.parts[3].is_type("text", "html"));
  EXPECT_EQ(st.parts[3].body_start, at(m, "<html>"));
}

TEST(Structure, EightBitHeadersAndJunk) {
  std::string m =
      "Subject: \x93\xfa\x96{\x8c\xea\r\n"
      "From: \xe5\xb1\xb1\xe7\x94\xb0 <y@example.jp>\r\n"
      "Content-Type: text/plain; charset=\"shift_jis\"\r\n"
      "\r\n\x93\xfa\x96{\x8c\xea\r\n";
  auto st = scan(m);
  check_invariants(m, st);
  EXPECT_EQ(st.parts[0].charset(), "shift_jis");
  EXPECT_EQ(st.parts[0].body_start, at(m, "\r\n\r\n") + 4);
  const char kJunk[] = "\x00\xff\r\n::::\r\n--\r\n\r\n\r\n";
  std::string junk(kJunk, sizeof(kJunk) - 1);
  check_invariants(junk, scan(junk));
}

TEST(Structure, BoundaryPrefixesAndWhitespace) {
  // The inner boundary extends the outer one; a delimiter may carry trailing whitespace, and
  // a line that merely starts with the boundary is not a delimiter.
  std::string m =
      "Content-Type: multipart/mixed; boundary=abc\r\n\r\n"
      "--abc  \r\nContent-Type: multipart/mixed; boundary=abcd\r\n\r\n"
      "--abcd\r\n\r\none\r\n--abcdx not a delimiter\r\n--abcd--\r\n"
      "--abc\r\n\r\ntwo\r\n--abc--\t\r\n";
  auto st = scan(m);
  check_invariants(m, st);
  ASSERT_EQ(st.parts.size(), 4u);
  EXPECT_EQ(st.parts[2].body_start, at(m, "one"));
  EXPECT_EQ(st.parts[2].body_end, at(m, "\r\n--abcd--"));
  EXPECT_EQ(st.parts[2].body_lines, 1u);
  EXPECT_EQ(st.parts[3].body_start, at(m, "two"));
}

TEST(Structure, BoundaryWithTrailingSpace) {
  std::string m =
      "Content-Type: multipart/mixed; boundary=\"b \"\r\n\r\n--b\r\n\r\none\r\n--b "
      "\r\n\r\ntwo\r\n--b--\r\n";
  auto st = scan(m);
  check_invariants(m, st);
  ASSERT_EQ(st.parts.size(), 3u);
  EXPECT_EQ(st.parts[2].body_start, at(m, "two"));
}

TEST(Structure, DigestDefaultsAndOpaqueMessage) {
  std::string m =
      "Content-Type: multipart/digest; boundary=d\r\n\r\n"
      "--d\r\n\r\nSubject: one\r\n\r\nbody one\r\n"
      "--d\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: "
      "base64\r\n\r\nU3ViamVjdDogeA==\r\n"
      "--d--\r\n";
  auto st = scan(m);
  check_invariants(m, st);
  ASSERT_EQ(st.parts.size(), 4u);
  EXPECT_EQ(st.parts[1].kind, Kind::kMessage);
  EXPECT_TRUE(st.parts[1].is_type("message", "rfc822"));
  EXPECT_EQ(st.parts[2].body_start, at(m, "body one"));
  EXPECT_EQ(st.parts[3].kind, Kind::kLeaf);  // base64 message/rfc822 is not descended
  EXPECT_TRUE(st.parts[3].opaque);
}

TEST(Structure, EncapsulatedHeaderEndsAtDelimiter) {
  std::string m =
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: x\r\n\r\n--b--\r\n";
  auto st = scan(m);
  check_invariants(m, st);
  ASSERT_EQ(st.parts.size(), 3u);
  EXPECT_EQ(st.parts[2].body_start, at(m, "--b--"));
  EXPECT_EQ(st.parts[2].body_size(), 0u);
  EXPECT_EQ(st.parts[1].body_end, st.parts[2].body_start);
}

TEST(Structure, MultipartWithoutBoundary) {
  std::string m = "Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\nbody\r\n";
  auto st = scan(m);
  check_invariants(m, st);
  ASSERT_EQ(st.parts.size(), 1u);
  EXPECT_EQ(st.parts[0].kind, Kind::kMultipart);
  EXPECT_TRUE(st.parts[0].opaque);
}

TEST(Structure, NestingBombIsFastAndCapped) {
  std::string m;
  const int kDepth = 1000;
  for (int i = 0; i < kDepth; ++i) {
    m += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" +
         std::to_string(i) + "\r\n";
  }
  m += "\r\nleaf\r\n";
  for (int i = kDepth; i-- > 0;) {
    m += "--b" + std::to_string(i) + "--\r\n";
  }
  auto t0 = std::chrono::steady_clock::now();
  auto st = scan(m);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  check_invariants(m, st);
  EXPECT_LT(ms, 500);
  uint32_t max_depth = 0;
  for (const auto& p : st.parts) {
    max_depth = std::max(max_depth, p.depth);
  }
  EXPECT_EQ(max_depth, 49u);

  // Same boundary at every level, and nested message/rfc822.
  std::string n;
  for (int i = 0; i < 5000; ++i) {
    n += "Content-Type: message/rfc822\r\n\r\n";
  }
  auto st2 = scan(n);
  check_invariants(n, st2);
  EXPECT_LE(st2.parts.size(), 51u);
  std::string o;
  for (int i = 0; i < 5000; ++i) {
    o += "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n";
  }
  auto st3 = scan(o);
  check_invariants(o, st3);
}

TEST(Structure, PartLimit) {
  std::string m = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int i = 0; i < 20000; ++i) {
    m += "--b\r\n\r\nx\r\n";
  }
  auto st = scan(m);
  check_invariants(m, st);
  EXPECT_TRUE(st.limits_hit);
  EXPECT_EQ(st.parts.size(), 10000u);
  ScanLimits small;
  small.max_parts = 3;
  EXPECT_EQ(scan(m, small).parts.size(), 3u);
}

TEST(Structure, LongLinesAndHugeHeaders) {
  std::string m = "Content-Type: text/plain; name=\"" + std::string(1 << 20, 'a') + "\"\r\n";
  m += "X-Long: " + std::string(1 << 20, 'b') + "\r\n\r\nbody";
  auto st = scan(m);
  check_invariants(m, st);
  EXPECT_EQ(st.parts[0].type, "text");
}

TEST(Structure, TruncatedAtEveryByte) {
  std::string_view m = kNested;
  for (size_t n = 0; n <= m.size(); ++n) {
    auto raw = m.substr(0, n);
    auto st = scan(raw);
    check_invariants(raw, st);
    if (HasFatalFailure()) {
      ADD_FAILURE() << "at length " << n;
      return;
    }
  }
}

}  // namespace
}  // namespace tegami::mime
