// libFuzzer target for the SMTP parsers: command lines (RFC 5321 §4.1 and the ESMTP
// parameters), bare mailboxes, xtext, and the DATA decoder fed in two pieces. Checks
// invariants rather than only "does not crash".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "smtp/proto/command.hpp"
#include "smtp/proto/data_decoder.hpp"
#include "smtp/proto/path.hpp"

using namespace tegami::smtp::proto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  for (bool utf8 : {false, true}) {
    ParseOptions opt;
    opt.rcpt_utf8 = utf8;
    ParseResult r = parse_command(in, opt);
    if (auto* e = std::get_if<SyntaxError>(&r)) {
      std::string w = e->reply.wire();
      // A reply is well framed: code, CRLF only at line ends.
      if (w.size() < 6 || w.compare(w.size() - 2, 2, "\r\n") != 0) abort();
      for (size_t i = 0; i + 1 < w.size(); ++i)
        if ((w[i] == '\n') != (i > 0 && w[i - 1] == '\r')) abort();
      if (e->reply.code < 400 || e->reply.code > 599) abort();
    } else {
      const Command& c = std::get<Command>(r);
      if (c.verb == Verb::kMail || c.verb == Verb::kRcpt) {
        if (!c.path.null && !c.path.mailbox.domain.empty()) {
          // A parsed mailbox re-serialises to something that parses to the same mailbox.
          Mailbox again;
          if (parse_mailbox(c.path.mailbox.str(), true, again) != PathError::kNone) abort();
          if (again.local != c.path.mailbox.local || again.domain != c.path.mailbox.domain) abort();
        }
      }
    }
  }
  if (auto x = xtext_decode(in)) {
    if (xtext_decode(xtext_encode(*x)) != *x) abort();
  }
  // DATA decoder: splitting the input anywhere gives the same result.
  DataDecoder whole(4096);
  size_t used_whole = whole.feed(in);
  size_t cut = size ? data[0] % (size + 1) : 0;
  DataDecoder parts(4096);
  size_t used = parts.feed(in.substr(0, cut));
  if (!parts.done()) used += parts.feed(in.substr(cut));
  if (used != used_whole || parts.done() != whole.done() || parts.message() != whole.message() ||
      parts.too_big() != whole.too_big())
    abort();
  if (whole.done() && !whole.too_big()) {
    // Stuffing the decoded message and decoding again is the identity.
    DataDecoder again(1 << 20);
    std::string stuffed = dot_stuff(whole.message());
    if (again.feed(stuffed) != stuffed.size() || !again.done() ||
        again.message() != whole.message())
      abort();
  }
  return 0;
}
