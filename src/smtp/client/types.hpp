// The plain data the SMTP client exchanges with its callers: envelopes, recipients, replies.
// Kept apart from client.hpp so that the parsers (protocol.hpp) need no Asio.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tegami::smtp::client {

// One recipient of a message, with its DSN parameters (RFC 3461 §4).
struct Recipient {
  std::string address;  // forward-path without <>
  std::string notify;   // "" (not sent), "NEVER", or a comma list of SUCCESS,FAILURE,DELAY
  std::string orcpt;    // "" or "rfc822;addr" (already xtext-encoded as needed)
};

struct Envelope {
  std::string from;  // reverse-path without <>; "" for the null sender (bounces)
  std::vector<Recipient> rcpts;
  std::string envid;        // DSN ENVID as decoded text, "" when none (xtext-encoded when sent)
  std::string ret;          // DSN RET: "", "FULL" or "HDRS"
  bool eight_bit = false;   // BODY=8BITMIME when the server offers it
  bool smtputf8 = false;    // SMTPUTF8 needed (UTF-8 addresses or headers)
  bool requiretls = false;  // REQUIRETLS (only over a verified TLS connection)
};

// A reply as received: code, enhanced status (from the first line, "" when none), all text.
struct Reply {
  int code = 0;
  std::string enhanced;
  std::string text;    // lines joined with "\n", without codes
  bool local = false;  // made by this client (timeout, lost connection, local check), not received
  bool ok() const { return code >= 200 && code < 300; }
  bool permanent() const { return code >= 500; }
  std::string str() const;   // "550 5.1.1 text" (first line), for logs
  std::string full() const;  // "550 5.1.1 first\nsecond": every line, for bounces
};

struct SendResult {
  // Per recipient, in the order of Envelope::rcpts: the RCPT reply when it failed, else the
  // final reply to the content (a 2xx means delivered). Connection failures give every
  // recipient without a final answer a local 4xx with the reason ("connection lost during
  // DATA", "timeout waiting for the reply to DATA"); a server out of step (a reply that cannot
  // answer the command, such as 250 to DATA) gives every recipient sent a local 451 4.5.0.
  std::vector<Reply> rcpts;
  bool connection_usable = true;  // false: do not send more on this connection
};

}  // namespace tegami::smtp::client
