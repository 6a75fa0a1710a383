// One IMAP connection: the state machine of RFC 9051 §3 (not authenticated, authenticated,
// selected, logout) over net::Conn, fed by the sans-I/O proto::CommandParser. Each command
// lives in its own cmd_*.cpp as a Session member. Internal to imap/server.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "imap/proto/command.hpp"
#include "imap/server/mailbox_view.hpp"
#include "imap/server/notify.hpp"
#include "imap/server/search_context.hpp"
#include "imap/server/server.hpp"
#include "net/offload.hpp"
#include "net/stream.hpp"

namespace tegami::imap::server {

inline constexpr size_t kMaxLine = 64 * 1024;

// Wake-ups from other threads (hub callbacks) delivered on the session's executor.
struct Signals {
  explicit Signals(asio::any_io_executor e) : ex(e), timer(e) {}
  asio::any_io_executor ex;
  asio::steady_timer timer;  // used as an event: cancel() wakes the waiter
  bool changed = false;      // the selected mailbox changed (hub)
  bool revoked = false;      // this session's app password was revoked
  store::Id app_password_id = 0;
  bool reader_done = false;             // the background line reader finished
  std::unique_ptr<NotifyQueue> notify;  // NOTIFY (RFC 5465) is set
  bool pending() const { return changed || (notify && notify->pending()); }
};

class CompressStream;

class Session {
 public:
  Session(std::unique_ptr<net::Stream> stream, const Context& ctx);
  ~Session();
  asio::awaitable<void> run();

  using Reply = std::string;  // the tagged status after the tag: "OK ...", "NO ...", "BAD ..."

 private:
  enum class State { kNotAuth, kAuth, kSelected, kLogout };
  enum class LineEvent { kLine, kTooLong, kClosed, kRevoked, kChanged };

  // The command loop pieces (session.cpp).
  asio::awaitable<void> reader_task();
  asio::awaitable<LineEvent> wait_line(std::string& line, bool wake_on_change);
  asio::awaitable<void> execute(proto::Command& cmd);
  asio::awaitable<Reply> dispatch(proto::Command& cmd);
  // `notify_fetch`: a NOTIFY MessageNew fetch-att list is answered for new messages.
  asio::awaitable<void> sync(bool allow_expunge, bool notify_fetch = false);
  asio::awaitable<void> shutdown();
  void send(std::string_view s) { conn_.send(s); }
  std::string capabilities() const;
  bool login_allowed() const;
  std::string privacy_required_text() const;
  std::string wire_name(const std::string& utf8) const;  // quoted/literal, mUTF-7 for rev1
  std::optional<std::string> from_wire(const std::string& name) const;
  void publish(store::Id mailbox);
  void watch_mailbox(store::Id mailbox);
  void leave_mailbox();

  // Runs a blocking call on the worker pool. `f` must only capture by reference.
  template <class F>
  auto blocking(F f) {
    return net::offload(std::move(f));
  }

  // Commands (cmd_*.cpp).
  asio::awaitable<Reply> cmd_capability(proto::Command& c);
  asio::awaitable<Reply> cmd_noop(proto::Command& c);
  asio::awaitable<Reply> cmd_logout(proto::Command& c);
  asio::awaitable<Reply> cmd_id(proto::Command& c);
  asio::awaitable<Reply> cmd_enable(proto::Command& c);
  asio::awaitable<Reply> cmd_namespace(proto::Command& c);
  asio::awaitable<Reply> cmd_starttls(proto::Command& c);
  asio::awaitable<Reply> cmd_login(proto::Command& c);
  asio::awaitable<Reply> cmd_authenticate(proto::Command& c);
  asio::awaitable<Reply> cmd_unauthenticate(proto::Command& c);
  asio::awaitable<Reply> finish_login(std::string_view user, std::string_view password,
                                      std::string_view authzid = {});
  asio::awaitable<Reply> cmd_select(proto::Command& c);
  asio::awaitable<Reply> cmd_close(proto::Command& c);
  asio::awaitable<Reply> cmd_unselect(proto::Command& c);
  asio::awaitable<Reply> cmd_check(proto::Command& c);
  asio::awaitable<Reply> cmd_create(proto::Command& c);
  asio::awaitable<Reply> cmd_delete(proto::Command& c);
  asio::awaitable<Reply> cmd_rename(proto::Command& c);
  asio::awaitable<Reply> cmd_subscribe(proto::Command& c);
  asio::awaitable<Reply> cmd_list(proto::Command& c);
  asio::awaitable<Reply> cmd_status(proto::Command& c);
  asio::awaitable<Reply> cmd_append(proto::Command& c);
  asio::awaitable<Reply> cmd_idle(proto::Command& c);
  asio::awaitable<Reply> cmd_expunge(proto::Command& c);
  asio::awaitable<Reply> cmd_search(proto::Command& c);
  asio::awaitable<Reply> cmd_sort(proto::Command& c);
  asio::awaitable<Reply> cmd_thread(proto::Command& c);
  asio::awaitable<Reply> cmd_fetch(proto::Command& c);
  asio::awaitable<Reply> cmd_store(proto::Command& c);
  asio::awaitable<Reply> cmd_copy(proto::Command& c);
  asio::awaitable<Reply> cmd_quota(proto::Command& c);
  asio::awaitable<Reply> cmd_compress(proto::Command& c);
  asio::awaitable<Reply> cmd_notify(proto::Command& c);

  // NOTIFY (cmd_notify.cpp). notify_deliver sends what is pending (between commands, IDLE).
  asio::awaitable<void> notify_deliver(bool idle);
  // `created`: mailboxes just created (MailboxName events); they are compared with their empty
  // state once watched, so mail appended before the watch began is still announced.
  asio::awaitable<void> notify_rewatch(const std::vector<store::Mailbox>* list,
                                       const std::set<store::Id>* created = nullptr);
  asio::awaitable<void> notify_new_messages(uint32_t after_uid);
  void notify_mailbox_event(store::MailboxEvent ev);  // publishes this session's own
  void notify_stop();

  // CONTEXT=SEARCH / CONTEXT=SORT (cmd_context.cpp, RFC 5267 §4).
  asio::awaitable<Reply> cmd_cancelupdate(proto::Command& c);
  std::optional<std::string> context_refusal(const std::string& tag,
                                             const proto::SearchReturn& ret);
  // Keeps the result of a RETURN (UPDATE) command: UIDs (SEARCH) or records (SORT, with
  // `criteria`), or answers NO [NOUPDATE].
  void context_start(const proto::Command& c, const proto::SearchKey& key,
                     const std::vector<proto::SortCriterion>* criteria, std::vector<uint32_t> uids,
                     std::vector<SortRecord> records);
  struct ContextAdds {
    std::vector<uint32_t> uids;
    std::vector<SortRecord> records;
  };
  // Around MailboxView::apply in sync(): REMOVEFROM before, ADDTO after.
  asio::awaitable<std::string> contexts_before(const store::Changes& changes,
                                               std::vector<ContextAdds>* adds);
  std::string contexts_after(std::vector<ContextAdds>& adds);

  asio::awaitable<Status> qresync_select(const proto::QresyncParams& q);

  // STATUS data for one mailbox, "(MESSAGES 3 UIDNEXT 4)".
  asio::awaitable<std::string> status_items(const store::Mailbox& mb,
                                            const std::vector<proto::StatusItem>& items);

  mutable net::Conn conn_;              // stream() is non-const; const helpers only query it
  CompressStream* compress_ = nullptr;  // conn_'s stream (COMPRESS=DEFLATE)
  const Context& ctx_;
  proto::CommandParser parser_;
  State state_ = State::kNotAuth;
  bool rev2_ = false;
  bool utf8_ = false;  // RFC 6855 ENABLE UTF8=ACCEPT
  // UTF-8 mailbox names and quoted strings: IMAP4rev2 (RFC 9051 §5.1) or UTF8=ACCEPT.
  bool utf8_names() const { return rev2_ || utf8_; }
  bool condstore_ = false;  // RFC 7162 §3.1: enabled by ENABLE or a CONDSTORE-using command
  bool qresync_ = false;    // RFC 7162 §3.2.3: ENABLE QRESYNC (implies condstore_)
  store::Account account_;
  store::Id app_password_id_ = 0;
  std::string client_name_;
  std::optional<MailboxView> view_;
  std::shared_ptr<Signals> signals_;
  store::ChangeHub::Token mailbox_token_ = 0;
  store::ChangeHub::Token account_token_ = 0;
  std::unique_ptr<NotifyState> notify_;       // NOTIFY SET is in effect
  std::unique_ptr<SearchContexts> contexts_;  // RETURN (UPDATE) results of the selection
  // Background line reader (only one at a time).
  bool reader_active_ = false;
  net::Conn::Line reader_result_ = net::Conn::Line::kOk;
  std::string reader_line_;
  bool bye_sent_ = false;
};

}  // namespace tegami::imap::server
