// Internal: the SMTP session state machine (RFC 5321 §4.1.4 command order, §3.3 mail
// transactions). One cmd_<verb>.cpp file per command implements its handler.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/stream.hpp"
#include "smtp/proto/command.hpp"
#include "smtp/proto/data_decoder.hpp"
#include "smtp/proto/reply.hpp"
#include "smtp/server/server.hpp"

namespace tegami::smtp::server {

// RFC 5321 §4.5.3.2: the error limit before we close ("421 too many errors").
inline constexpr int kMaxErrors = 10;

struct Recipient {
  std::string address;       // as the client gave it, canonical form
  store::Id account_id = 0;  // 0: another server's recipient (submission only; queued)
  proto::RcptParams params;  // DSN NOTIFY and ORCPT
};

// One mail transaction (RFC 5321 §3.3): MAIL, RCPTs, then DATA or BDAT chunks.
struct Transaction {
  proto::Path from;
  proto::MailParams params;
  std::vector<Recipient> rcpts;
  bool bdat = false;    // a BDAT chunk has been received: DATA is no longer allowed
  std::string content;  // BDAT chunks so far
  // Submission: the addresses the signed-in account may send as (MAIL FROM and From).
  std::vector<std::string> sendable;
};

// Submission sender policy (issue 4): `address` is one of `allowed` (case-insensitive, a
// "+tag" in the local part ignored).
bool sender_allowed(const std::vector<std::string>& allowed, std::string_view address);
// "<x@y> is not one of your addresses; send as a@b, c@d" for 550 5.7.1.
std::string not_your_address_text(std::string_view what, std::string_view address,
                                  const std::vector<std::string>& allowed);

// "Message too big: the limit is 20 MB ... Mail Drop" (PRODUCT.md §6), for 552 5.3.4.
std::string too_big_text(uint64_t limit);

class Session {
 public:
  Session(std::unique_ptr<net::Stream> s, const Context& ctx);
  asio::awaitable<void> run();

 private:
  asio::awaitable<void> dispatch(const proto::Command& c);
  asio::awaitable<void> on_ehlo(const proto::Command& c);
  asio::awaitable<void> on_mail(const proto::Command& c);
  asio::awaitable<void> on_rcpt(const proto::Command& c);
  asio::awaitable<void> on_data(const proto::Command& c);
  asio::awaitable<void> on_bdat(const proto::Command& c);
  asio::awaitable<bool> read_content(proto::DataDecoder& d);
  asio::awaitable<bool> skip_chunk(uint64_t n);  // reads a refused BDAT chunk
  asio::awaitable<void> on_starttls(const proto::Command& c);
  asio::awaitable<void> on_auth(const proto::Command& c);
  asio::awaitable<int> ask_sasl(std::string& line, std::string_view challenge);
  void on_simple(const proto::Command& c);  // RSET NOOP QUIT VRFY EXPN HELP

  // Adds the Received: header, indexes and delivers, then replies (cmd_data.cpp).
  asio::awaitable<void> deliver(std::string content);
  // Submission: signs (DKIM, with the keys of `signing_domain`, the From field's domain),
  // prepends `received` and stores, in one worker-pool job.
  asio::awaitable<void> submit(const Transaction& t, std::string received, std::string content,
                               std::string signing_domain, const std::string& id, int64_t now);
  // `too_many_rcpts`: the transaction has more recipients than the account may send to in a
  // whole window (account::more_recipients_than_a_window), so the store's kTooBig means that.
  void reply_send_refused(const Error& e, bool suspended_now, const char* what,
                          bool too_many_rcpts);
  asio::awaitable<void> report_local_success(const Transaction& t, const std::string& raw,
                                             int64_t now);
  std::string received_header(const std::string& id) const;

  void reply(int code, std::string_view enhanced, std::string_view text);
  void reply(const proto::Reply& r);
  void reset_transaction() { tx_.reset(); }
  bool auth_allowed() const;  // AUTH may be offered now (submission, TLS or dev loopback)

  net::Conn io_;  // flushes replies before waiting for input (pipelining)
  const Context& ctx_;
  std::string helo_;  // the EHLO/HELO name, "" before it
  bool esmtp_ = false;
  std::optional<Transaction> tx_;
  std::optional<store::Account> user_;  // after AUTH (submission)
  // Submission: what the last MAIL's trip to the store found (the account's addresses, how many
  // more messages its window allowed), reused by the next MAILs of this session for a short
  // while; the DATA transaction stays the authority on limits and suspension.
  struct SenderCheck {
    std::vector<std::string> allowed;
    int64_t messages_left = 0;
    int64_t until = 0;  // Unix seconds
  };
  std::optional<SenderCheck> sender_check_;
  // Submission: recipient domains found not hosted here in this session (lower case); RCPT to
  // them again needs no trip to the store.
  std::vector<std::string> remote_domains_;
  int errors_ = 0;
  int delivered_ = 0;
  std::string conn_id_;  // for the log lines of this connection
  bool close_ = false;   // end the session after flushing
};

}  // namespace tegami::smtp::server
