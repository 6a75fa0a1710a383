// APPEND. RFC 9051 §6.3.12 (flags, date-time, message literal; [TRYCREATE] for a missing
// mailbox), RFC 4315 §3 ([APPENDUID uidvalidity uid]), RFC 7889 (APPENDLIMIT, [TOOBIG]),
// RFC 9208 §4.3 ([OVERQUOTA]). The reply comes only after store.deliver() returned, i.e. after
// the message is on stable storage (DESIGN.md §1).
#include <ctime>

#include "imap/server/error_map.hpp"
#include "imap/server/flags.hpp"
#include "imap/server/session.hpp"
#include "index/message_index.hpp"

namespace tegami::imap::server {

asio::awaitable<Session::Reply> Session::cmd_append(proto::Command& c) {
  auto& a = c.as<proto::AppendArgs>();
  if (a.messages.size() != 1) co_return "BAD Exactly one message per APPEND";
  auto& msg = a.messages[0];
  auto name = from_wire(a.mailbox);
  if (!name) co_return "NO [CANNOT] Invalid mailbox name";
  if (msg.data.size() > ctx_.append_limit) {
    co_return "NO [TOOBIG] Message is larger than the APPENDLIMIT of " +
        std::to_string(ctx_.append_limit) + " bytes";
  }
  if (msg.data.empty()) co_return "NO [CANNOT] Empty message";
  auto flags = parse_flags(msg.flags);
  if (!flags) co_return "BAD Invalid flag";
  int64_t date =
      msg.internal_date ? msg.internal_date->to_unix() : static_cast<int64_t>(std::time(nullptr));

  store::Id account = account_.id;
  auto get = [&] { return ctx_.store->get_mailbox(account, *name); };
  auto mb = co_await blocking(get);
  if (!mb) {
    if (mb.code() == Errc::kNotFound) co_return "NO [TRYCREATE] No such mailbox";
    co_return no_response(mb.error(), "APPEND");
  }
  store::DeliveryTarget target;
  target.account_id = account;
  target.mailbox_id = mb->id;
  target.flags = flags->bits;
  target.keywords = flags->keywords;
  target.enforce_quota = true;
  std::vector<store::DeliveryTarget> targets{target};
  const std::string& raw = msg.data;
  auto deliver = [&] {
    index::MessageIndex idx = index::build(raw);
    return ctx_.store->deliver(raw, idx, targets, date);
  };
  auto r = co_await blocking(deliver);
  if (!r) {
    if (r.code() == Errc::kOverQuota) {
      co_return "NO [OVERQUOTA] Your mail storage is full; delete messages or empty the trash";
    }
    co_return no_response(r.error(), "APPEND");
  }
  publish(mb->id);
  if (r->empty()) co_return "NO [SERVERBUG] The message was not stored";
  co_return "OK [APPENDUID " + std::to_string(mb->uid_validity) + " " +
      std::to_string(r->front().uid) + "] APPEND completed";
}

}  // namespace tegami::imap::server
