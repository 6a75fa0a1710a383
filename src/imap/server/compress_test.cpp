// COMPRESS=DEFLATE (RFC 4978) over a PipeStream, with zlib on the client side as well: the
// tagged OK is plain, everything after it is raw deflate both ways, large literals and
// responses survive, a second COMPRESS is refused, pipelined plain input is refused.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include "imap/server/test_support.hpp"

namespace tegami::imap::server {
namespace {

using ::testing::HasSubstr;
using testing::PipeStream;
using testing::World;
using Shared = PipeStream::Shared;

struct ClientZlib {
  z_stream d{}, i{};
  ClientZlib() {
    deflateInit2(&d, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
    inflateInit2(&i, -15);
  }
  ~ClientZlib() {
    deflateEnd(&d);
    inflateEnd(&i);
  }
  std::string compress(std::string_view s) {
    std::string out;
    d.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(s.data()));
    d.avail_in = static_cast<uInt>(s.size());
    do {
      char buf[4096];
      d.next_out = reinterpret_cast<Bytef*>(buf);
      d.avail_out = sizeof(buf);
      deflate(&d, Z_SYNC_FLUSH);
      out.append(buf, sizeof(buf) - d.avail_out);
    } while (d.avail_out == 0);
    return out;
  }
  std::string decompress(std::string_view s) {
    std::string out;
    i.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(s.data()));
    i.avail_in = static_cast<uInt>(s.size());
    do {
      char buf[4096];
      i.next_out = reinterpret_cast<Bytef*>(buf);
      i.avail_out = sizeof(buf);
      int rc = inflate(&i, Z_SYNC_FLUSH);
      out.append(buf, sizeof(buf) - i.avail_out);
      if (rc != Z_OK) break;
    } while (i.avail_in > 0 || i.avail_out == 0);
    return out;
  }
};

TEST(ImapCompress, DeflateBothWays) {
  World w;
  asio::io_context io;
  auto s = std::make_shared<Shared>(io);
  asio::co_spawn(io, serve(std::make_unique<PipeStream>(s), w.ctx), asio::detached);
  ClientZlib z;
  std::string plain;    // the server's output after the COMPRESS reply, inflated
  size_t consumed = 0;  // compressed output already inflated
  std::string failures;
  std::string big(200 * 1024, 'x');
  for (size_t k = 0; k < big.size(); k += 100) big.replace(k, 2, "\r\n");
  big = "Subject: big\r\n\r\n" + big;
  auto driver = [&]() -> asio::awaitable<void> {
    asio::steady_timer t(io);
    auto wait_plain = [&](const std::string& needle) -> asio::awaitable<bool> {
      for (int n = 0; n < 2000; ++n) {
        if (plain.find(needle) != std::string::npos) co_return true;
        t.expires_after(std::chrono::milliseconds(5));
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        size_t start = s->output.find("a2 OK DEFLATE active\r\n");
        if (start == std::string::npos) continue;
        start += 22;
        if (consumed < start) consumed = start;
        plain += z.decompress(std::string_view(s->output).substr(consumed));
        consumed = s->output.size();
      }
      failures += "missing: " + needle + "\n";
      co_return false;
    };
    testing::feed(*s, w.login_line("a1") + "a2 COMPRESS DEFLATE\r\n");
    for (int n = 0; n < 2000 && s->output.find("a2 OK DEFLATE") == std::string::npos; ++n) {
      t.expires_after(std::chrono::milliseconds(5));
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    testing::feed(*s, z.compress("a3 SELECT INBOX\r\na4 NOOP\r\n"));
    co_await wait_plain("a4 OK");
    testing::feed(*s, z.compress("a5 COMPRESS DEFLATE\r\na6 APPEND INBOX {" +
                                 std::to_string(big.size()) + "+}\r\n" + big + "\r\n"));
    co_await wait_plain("a6 OK");
    testing::feed(*s, z.compress("a7 UID FETCH 1 BODY.PEEK[]\r\na8 LOGOUT\r\n"));
    co_await wait_plain("a8 OK");
    s->eof = true;
    s->timer.cancel();
  };
  asio::co_spawn(io, std::move(driver), asio::detached);
  io.run();
  EXPECT_EQ(failures, "") << s->output.substr(0, 2000) << "\nplain:\n" << plain.substr(0, 2000);
  EXPECT_THAT(s->output, HasSubstr(" COMPRESS=DEFLATE "));
  EXPECT_THAT(plain, HasSubstr("* 1 EXISTS\r\n"));  // the APPEND, announced compressed
  EXPECT_THAT(plain, HasSubstr("a3 OK [READ-WRITE]"));
  EXPECT_THAT(plain, HasSubstr("a5 NO [COMPRESSIONACTIVE]"));
  EXPECT_THAT(plain, HasSubstr("* 1 FETCH (UID 1 BODY[] {" + std::to_string(big.size()) + "}\r\n" +
                               big + ")\r\na7 OK"));
  EXPECT_THAT(plain, HasSubstr("* BYE"));
  EXPECT_LT(s->output.size(), big.size() / 10);  // it really was compressed
}

// Bytes that are not a deflate stream end the connection quietly.
TEST(ImapCompress, CorruptInputClosesTheConnection) {
  World w;
  asio::io_context io;
  auto s = std::make_shared<Shared>(io);
  asio::co_spawn(io, serve(std::make_unique<PipeStream>(s), w.ctx), asio::detached);
  bool saw_ok = false;
  auto driver = [&]() -> asio::awaitable<void> {
    asio::steady_timer t(io);
    testing::feed(*s, w.login_line("a1") + "a2 COMPRESS DEFLATE\r\n");
    for (int n = 0; n < 2000 && s->output.find("a2 OK DEFLATE") == std::string::npos; ++n) {
      t.expires_after(std::chrono::milliseconds(5));
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    saw_ok = s->output.find("a2 OK DEFLATE") != std::string::npos;
    testing::feed(*s, std::string("\xff\xfe\xfd garbage that is not deflate\r\n", 34));
    for (int n = 0; n < 2000 && !s->closed; ++n) {
      t.expires_after(std::chrono::milliseconds(5));
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    s->eof = true;
    s->timer.cancel();
  };
  asio::co_spawn(io, std::move(driver), asio::detached);
  io.run();
  EXPECT_TRUE(saw_ok);
  EXPECT_TRUE(s->closed);
}

TEST(ImapCompress, RefusedWithPipelinedInputOrUnknownMechanism) {
  World w;
  std::string out =
      w.run(w.login_line() + "b COMPRESS FOO\r\nc COMPRESS DEFLATE\r\nd NOOP\r\ne LOGOUT\r\n");
  EXPECT_THAT(out, HasSubstr("b BAD Unsupported compression mechanism\r\n"));
  EXPECT_THAT(out, HasSubstr("c BAD Nothing may follow COMPRESS before its reply\r\n"));
  EXPECT_THAT(out, HasSubstr("d OK NOOP"));
}

}  // namespace
}  // namespace tegami::imap::server
