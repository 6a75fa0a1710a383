// APPEND. RFC 9051 §6.3.12 (flags, date-time, message literal; [TRYCREATE] for a missing
// mailbox), RFC 3502 (MULTIAPPEND: several messages, all stored or none), RFC 4315 §3
// ([APPENDUID uidvalidity uid-set]), RFC 7889 (APPENDLIMIT per message, [TOOBIG]),
// RFC 9208 §4.3 ([OVERQUOTA]: the messages of one command count together), RFC 6855 §4
// (UTF8 (~{n}) append data after ENABLE UTF8=ACCEPT). The reply comes
// only after the store returned, i.e. after the messages are on stable storage (DESIGN.md §1).
#include <algorithm>
#include <ctime>

#include "imap/proto/response.hpp"
#include "imap/server/error_map.hpp"
#include "imap/server/flags.hpp"
#include "imap/server/session.hpp"
#include "index/message_index.hpp"

namespace tegami::imap::server {

asio::awaitable<Session::Reply> Session::cmd_append(proto::Command& c) {
  auto& a = c.as<proto::AppendArgs>();
  if (a.messages.empty()) co_return "BAD Missing message";
  auto name = from_wire(a.mailbox);
  if (!name) co_return "NO [CANNOT] Invalid mailbox name";
  const bool multi = a.messages.size() > 1;
  // Everything is checked before anything is stored (RFC 3502 §6: all or nothing).
  std::vector<store::NewMessage> batch(a.messages.size());
  for (size_t i = 0; i < a.messages.size(); ++i) {
    auto& msg = a.messages[i];
    std::string which = multi ? "Message " + std::to_string(i + 1) : std::string("Message");
    if (msg.data.size() > ctx_.append_limit) {
      co_return "NO [TOOBIG] " + which + " is larger than the APPENDLIMIT of " +
          std::to_string(ctx_.append_limit) + " bytes";
    }
    if (msg.data.empty()) co_return "NO [CANNOT] " + which + " is empty";
    // RFC 6855 §4: the UTF8 data extension belongs to UTF8=ACCEPT. (8-bit headers in a plain
    // literal are stored as sent, as IMAP4rev2 and RFC 9755 expect.)
    if (msg.utf8 && !utf8_names()) co_return "BAD UTF8 append data needs ENABLE UTF8=ACCEPT";
    auto flags = parse_flags(msg.flags);
    if (!flags) co_return "BAD Invalid flag";
    store::NewMessage& n = batch[i];
    n.raw = msg.data;
    n.internal_date =
        msg.internal_date ? msg.internal_date->to_unix() : static_cast<int64_t>(std::time(nullptr));
    n.target.flags = flags->bits;
    n.target.keywords = flags->keywords;
    n.target.enforce_quota = true;
  }

  store::Id account = account_.id;
  auto get = [&] { return ctx_.store->get_mailbox(account, *name); };
  auto mb = co_await blocking(get);
  if (!mb) {
    if (mb.code() == Errc::kNotFound) co_return "NO [TRYCREATE] No such mailbox";
    co_return no_response(mb.error(), "APPEND");
  }
  for (auto& n : batch) {
    n.target.account_id = account;
    n.target.mailbox_id = mb->id;
  }
  auto deliver = [&]() -> Result<std::vector<store::Delivered>> {
    if (batch.size() == 1) {
      const auto& n = batch.front();
      index::MessageIndex idx = index::build(n.raw);
      std::vector<store::DeliveryTarget> targets{n.target};
      return ctx_.store->deliver(n.raw, idx, targets, n.internal_date);
    }
    for (auto& n : batch) n.idx = index::build(n.raw);
    return ctx_.store->deliver_many(batch);
  };
  auto r = co_await blocking(deliver);
  if (!r) {
    if (r.code() == Errc::kOverQuota) {
      co_return multi ? "NO [OVERQUOTA] Your mail storage cannot hold these messages; nothing "
                        "was stored. Delete messages or empty the trash"
                      : "NO [OVERQUOTA] Your mail storage is full; delete messages or empty "
                        "the trash";
    }
    co_return no_response(r.error(), "APPEND");
  }
  publish(mb->id);
  if (r->size() != batch.size()) co_return "NO [SERVERBUG] The messages were not all stored";
  std::vector<uint32_t> uids;
  uids.reserve(r->size());
  for (const auto& d : *r) uids.push_back(d.uid);
  std::sort(uids.begin(), uids.end());
  co_return "OK [APPENDUID " + std::to_string(mb->uid_validity) + " " +
      proto::sequence_set_string(uids) + "] APPEND completed";
}

}  // namespace tegami::imap::server
