// The commands without side effects on the store: RSET (RFC 5321 §4.1.1.5), NOOP (§4.1.1.9),
// QUIT (§4.1.1.10), VRFY (§4.1.1.6, §3.5.3: 252 rather than disclosing accounts), EXPN
// (§4.1.1.7, §3.5.2: not offered), HELP (§4.1.1.8).
#include "smtp/server/session.hpp"

namespace tegami::smtp::server {

void Session::on_simple(const proto::Command& c) {
  using proto::Verb;
  switch (c.verb) {
    case Verb::kRset:
      reset_transaction();
      reply(250, "2.0.0", "OK");
      return;
    case Verb::kNoop:
      reply(250, "2.0.0", "OK");
      return;
    case Verb::kQuit:
      reply(221, "2.0.0", ctx_.hostname + " Bye");
      close_ = true;
      return;
    case Verb::kVrfy:
      // Never confirm or deny an address: that would let anyone harvest the user list.
      reply(252, "2.1.5", "Cannot VRFY user, but will accept message and attempt delivery");
      return;
    case Verb::kExpn:
      reply(502, "5.5.1", "EXPN is not available");
      return;
    case Verb::kHelp:
      reply(214, "2.0.0",
            "Tegami SMTP server. Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY "
            "HELP STARTTLS" +
                std::string(ctx_.mode == Mode::kSubmission ? " AUTH" : "") +
                "\nSee RFC 5321; end of HELP");
      return;
    default:
      reply(502, "5.5.1", "Command not implemented");
      return;
  }
}

}  // namespace tegami::smtp::server
