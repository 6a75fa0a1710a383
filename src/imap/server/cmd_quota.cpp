// QUOTA. RFC 9208 §4.2-4.4 (GETQUOTA, GETQUOTAROOT, SETQUOTA), §5.1 (STORAGE in units of 1024
// octets). One quota root "" per account covers every mailbox (PRODUCT.md §7: the plan's storage
// limit); it is changed in the portal, so SETQUOTA is refused.
#include "imap/server/error_map.hpp"
#include "imap/server/session.hpp"

namespace tegami::imap::server {

namespace {

std::string quota_line(const store::Account& a) {
  std::string out = "* QUOTA \"\" (";
  if (a.quota_bytes > 0) {
    int64_t used_kb = (a.used_bytes + 1023) / 1024;
    out += "STORAGE " + std::to_string(used_kb) + " " + std::to_string(a.quota_bytes / 1024);
  }
  return out + ")\r\n";
}

}  // namespace

asio::awaitable<Session::Reply> Session::cmd_quota(proto::Command& c) {
  using T = proto::CommandType;
  if (c.type == T::kSetQuota) {
    co_return "NO [NOPERM] The storage plan is changed in the account portal";
  }
  store::Id account = account_.id;
  if (c.type == T::kGetQuotaRoot) {
    auto name = from_wire(c.as<proto::MailboxArgs>().mailbox);
    if (!name) co_return "NO [CANNOT] Invalid mailbox name";
    auto get = [&] { return ctx_.store->get_mailbox(account, *name); };
    auto mb = co_await blocking(get);
    if (!mb) {
      if (mb.code() == Errc::kNotFound) co_return "NO [NONEXISTENT] No such mailbox";
      co_return no_response(mb.error(), "GETQUOTAROOT");
    }
    send("* QUOTAROOT " + wire_name(mb->name) + " \"\"\r\n");
  } else if (!c.as<proto::QuotaRootArgs>().root.empty()) {
    co_return "NO [NONEXISTENT] No such quota root";
  }
  auto acc = [&] { return ctx_.store->get_account(account); };
  auto a = co_await blocking(acc);
  if (!a) co_return no_response(a.error(), "GETQUOTA");
  send(quota_line(*a));
  co_return c.type == T::kGetQuotaRoot ? "OK GETQUOTAROOT completed" : "OK GETQUOTA completed";
}

}  // namespace tegami::imap::server
