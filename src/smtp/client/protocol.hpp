// The client side of SMTP without I/O (RFC 5321 §4.2 replies, §4.1.1 commands): reply line
// framing with limits, enhanced status codes (RFC 3463, RFC 2034), EHLO keywords (RFC 5321
// §4.1.1.1), and the MAIL/RCPT command lines with their ESMTP parameters (RFC 1870 SIZE, RFC 6152
// BODY, RFC 6531 SMTPUTF8, RFC 3461 RET/ENVID/NOTIFY/ORCPT, RFC 8689 REQUIRETLS).
// No Asio, no coroutines: client.cpp feeds it lines, tests feed it strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/client/types.hpp"

namespace tegami::smtp::client {

// Assembles one (possibly multi-line) reply from lines without their CRLF.
// "250-first", "250-second", "250 last"; a bare "250" is a complete one-line reply.
class ReplyReader {
 public:
  enum class State { kMore, kDone, kError };
  ReplyReader(std::size_t max_bytes, std::size_t max_lines)
      : max_bytes_(max_bytes), max_lines_(max_lines) {}
  // Adds one line. kError: malformed line, codes that differ between lines, or over a limit
  // (error() says which); the connection cannot be trusted after that.
  State add(std::string_view line);
  std::size_t bytes() const { return bytes_; }
  const std::string& error() const { return error_; }
  // The reply (valid after kDone). Enhanced codes are taken off every line that starts with one
  // whose class matches the reply code (RFC 2034 §3).
  Reply take();

 private:
  std::size_t max_bytes_, max_lines_;
  std::size_t bytes_ = 0;
  std::vector<std::string> lines_;
  int code_ = 0;
  std::string error_;
};

// "2.1.5 text" -> "2.1.5" when `text` starts with an enhanced status code of class `cls`
// (2, 4 or 5) followed by a space or the end; "" otherwise.
std::string_view enhanced_prefix(std::string_view text, int cls);

// A reply made here rather than received (local = true).
Reply local_reply(int code, std::string enhanced, std::string text);

// What an EHLO reply announced (RFC 5321 §4.1.1.1: keywords after the first line,
// case-insensitive).
struct Extensions {
  bool pipelining = false;             // RFC 2920
  bool size = false;                   // RFC 1870
  uint64_t size_limit = 0;             // SIZE n; 0 = no fixed limit announced
  bool eight_bit_mime = false;         // RFC 6152
  bool smtputf8 = false;               // RFC 6531
  bool dsn = false;                    // RFC 3461
  bool requiretls = false;             // RFC 8689
  bool starttls = false;               // RFC 3207
  bool enhanced_status_codes = false;  // RFC 2034
  bool chunking = false;               // RFC 3030 (not used to send, kept for logs)
  std::vector<std::string> keywords;   // every keyword line, upper-cased keyword first
};
Extensions parse_ehlo(const Reply& ehlo);

// True when `addr` can be put between < > on a command line: no control characters (CR, LF,
// NUL...), no '<' or '>', at most 512 bytes. Anything else could inject commands.
bool safe_path(std::string_view addr);

// "MAIL FROM:<from> [SIZE=n] [BODY=8BITMIME] [SMTPUTF8] [RET=..] [ENVID=..] [REQUIRETLS]\r\n".
// Parameters are only added when the server announced the extension (REQUIRETLS only when
// `requiretls` is set by the caller after its own checks). ENVID is xtext-encoded here.
std::string mail_command(const Envelope& env, const Extensions& ext, uint64_t size,
                         bool requiretls);
// "RCPT TO:<addr> [NOTIFY=..] [ORCPT=..]\r\n"; DSN parameters only when the server offers DSN.
std::string rcpt_command(const Recipient& r, const Extensions& ext);

// The content as sent after DATA: bare LF and bare CR become CRLF, a leading "." is doubled, a
// final CRLF is added when missing, then ".\r\n". `size` receives the message size as the
// server will count it (after CRLF normalisation, before dot-stuffing), for SIZE= and the local
// size check.
std::string data_block(std::string_view content, uint64_t* size);

}  // namespace tegami::smtp::client
