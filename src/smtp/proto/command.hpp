// SMTP commands (RFC 5321 §4.1.1) and their ESMTP extensions: SIZE (RFC 1870), 8BITMIME
// (RFC 6152), BINARYMIME and CHUNKING/BDAT (RFC 3030), SMTPUTF8 (RFC 6531), DSN (RFC 3461),
// REQUIRETLS (RFC 8689), STARTTLS (RFC 3207), AUTH (RFC 4954).
//
// parse_command() is sans-I/O: it takes one command line without its CRLF and returns either
// a Command or a SyntaxError carrying the reply to send. It never throws on any input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "smtp/proto/path.hpp"
#include "smtp/proto/reply.hpp"

namespace tegami::smtp::proto {

enum class Verb {
  kEhlo,
  kHelo,
  kMail,
  kRcpt,
  kData,
  kBdat,
  kRset,
  kNoop,
  kQuit,
  kVrfy,
  kExpn,
  kHelp,
  kStartTls,
  kAuth,
};

const char* verb_name(Verb v);

// RFC 6152 / RFC 3030 BODY parameter.
enum class Body { kNone, k7Bit, k8BitMime, kBinaryMime };

// MAIL FROM parameters.
struct MailParams {
  std::optional<uint64_t> size;  // SIZE= (RFC 1870)
  Body body = Body::kNone;       // BODY=
  bool smtputf8 = false;         // SMTPUTF8 (RFC 6531 §3.4)
  std::string ret;               // RET=FULL|HDRS (RFC 3461 §4.3), upper case, "" when absent
  std::string envid;             // ENVID= (RFC 3461 §4.4), decoded from xtext
  bool requiretls = false;       // REQUIRETLS (RFC 8689 §4.1)
  std::string auth;              // AUTH= (RFC 4954 §5), as given (xtext), "" when absent
};

// RCPT TO parameters (RFC 3461 §4.1, §4.2).
struct RcptParams {
  // NOTIFY=: bit set of the values below; 0 when absent.
  enum Notify : uint8_t { kNever = 1, kSuccess = 2, kFailure = 4, kDelay = 8 };
  uint8_t notify = 0;
  std::string orcpt_type;  // ORCPT addr-type ("rfc822"), "" when absent
  std::string orcpt;       // ORCPT address, decoded from xtext
};

struct Command {
  Verb verb = Verb::kNoop;
  std::string arg;      // EHLO/HELO name, VRFY/EXPN/HELP/NOOP argument, AUTH mechanism (upper)
  std::string initial;  // AUTH initial response (base64 text or "="), "" when absent
  bool has_initial = false;
  Path path;  // MAIL reverse-path / RCPT forward-path
  MailParams mail;
  RcptParams rcpt;
  uint64_t chunk_size = 0;  // BDAT
  bool last = false;        // BDAT ... LAST
};

inline Command make_command(Verb v) {
  Command c;
  c.verb = v;
  return c;
}

struct SyntaxError {
  Reply reply;
};

using ParseResult = std::variant<Command, SyntaxError>;

struct ParseOptions {
  // RCPT TO may carry UTF-8 only when the transaction's MAIL FROM had SMTPUTF8 (RFC 6531 §3.4).
  bool rcpt_utf8 = false;
};

// `line` is one command line without CRLF. Lines longer than kMaxCommandLine are the
// reader's business (500 5.5.2), but a longer line passed here is still handled safely.
ParseResult parse_command(std::string_view line, const ParseOptions& opt = {});

// RFC 3461 §4 xtext: "+" followed by two upper-case hex digits encodes one byte.
std::optional<std::string> xtext_decode(std::string_view s);
std::string xtext_encode(std::string_view s);

}  // namespace tegami::smtp::proto
