#include "mime/compose.hpp"

#include <gtest/gtest.h>

#include "mime/date.hpp"
#include "mime/encoding.hpp"

namespace tegami::mime {
namespace {

TEST(Compose, HeaderTextRoundTripsAndFolds) {
  EXPECT_EQ(encode_header_text("Hello"), "Hello");
  std::string ja =
      "配信できませんでした / Undelivered Mail: とても長い件名のテストです。とても長い";
  std::string enc = encode_header_text(ja);
  EXPECT_EQ(enc.rfind("=?UTF-8?B?", 0), 0u);
  // Every encoded word is at most 75 characters; lines are folded.
  size_t start = 0;
  while (start < enc.size()) {
    size_t end = enc.find("\r\n ", start);
    std::string word = enc.substr(start, end == std::string::npos ? end : end - start);
    EXPECT_LE(word.size(), 76u) << word;
    if (end == std::string::npos) break;
    start = end + 3;
  }
  std::string unfolded;
  for (size_t i = 0; i < enc.size(); ++i) {
    if (enc.compare(i, 2, "\r\n") == 0) {
      ++i;
      continue;
    }
    unfolded += enc[i];
  }
  EXPECT_EQ(decode_rfc2047(unfolded), ja);
  // Control characters never pass through as they are.
  EXPECT_EQ(encode_header_text("a\r\nBcc: x").find('\n'), std::string::npos);
}

TEST(Compose, DateRoundTrips) {
  EXPECT_EQ(format_date(0), "Thu, 1 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(parse_date(format_date(1795383080)), 1795383080);
}

TEST(Compose, NoticeIsAValidTextMessage) {
  std::string m = compose_notice("postmaster@mail.example", "user@example", "送信停止 / Sending",
                                 "一行目\nline 2\n", 1795383080, "mail.example");
  EXPECT_NE(m.find("Auto-Submitted: auto-generated\r\n"), std::string::npos);
  EXPECT_NE(m.find("Content-Transfer-Encoding: base64\r\n\r\n"), std::string::npos);
  std::string body = m.substr(m.find("\r\n\r\n") + 4);
  EXPECT_EQ(decode_base64(body), "一行目\r\nline 2\r\n");
  EXPECT_EQ(m.find("\n\n"), std::string::npos);
}

}  // namespace
}  // namespace tegami::mime
