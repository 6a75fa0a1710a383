#include "smtp/server/received.hpp"

#include <gtest/gtest.h>

namespace tegami::smtp::server {
namespace {

TEST(Received, Date) {
  EXPECT_EQ(rfc5322_date(0), "Thu, 1 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(rfc5322_date(1'800'000'000), "Fri, 15 Jan 2027 08:00:00 +0000");
}

TEST(Received, Format) {
  ReceivedInfo r;
  r.helo = "client.example";
  r.remote_ip = "192.0.2.1";
  r.by = "mx.example.com";
  r.id = "abc123";
  r.for_rcpt = "alice@example.com";
  r.time = 0;
  EXPECT_EQ(format_received(r),
            "Received: from client.example ([192.0.2.1])\r\n\tby mx.example.com (Tegami) with "
            "ESMTP id abc123\r\n\tfor <alice@example.com>; Thu, 1 Jan 1970 00:00:00 +0000\r\n");
  r.tls = true;
  r.tls_version = "TLSv1.3";
  r.authenticated = true;
  r.for_rcpt.clear();
  r.remote_ip = "2001:db8::1";
  EXPECT_EQ(format_received(r),
            "Received: from client.example ([IPv6:2001:db8::1])\r\n\tby mx.example.com (Tegami) "
            "with ESMTPSA (TLSv1.3) id abc123; Thu, 1 Jan 1970 00:00:00 +0000\r\n");
  r.esmtp = false;
  r.tls = false;
  r.authenticated = false;
  EXPECT_NE(format_received(r).find("with SMTP id"), std::string::npos);
  r.smtputf8 = true;
  r.tls = true;
  EXPECT_NE(format_received(r).find("with UTF8SMTPS (TLSv1.3) id"), std::string::npos);
}

TEST(Received, HostileNamesCannotBreakTheHeader) {
  ReceivedInfo r;
  r.helo = "evil\r\nBcc: x@y (comment)";
  r.remote_ip = "192.0.2.1";
  r.by = "mx";
  r.id = "i";
  r.for_rcpt = "a>\r\nX: y@z";
  std::string h = format_received(r);
  EXPECT_EQ(h.find("\r\nBcc"), std::string::npos);
  EXPECT_EQ(h.find("\r\nX:"), std::string::npos);
  EXPECT_EQ(h.find('('), h.find("([192"));  // no parenthesis from the client
}

}  // namespace
}  // namespace tegami::smtp::server
