// Errc to SMTP reply codes: RFC 5321 §4.2.2-4.2.3 (basic codes), RFC 3463 (enhanced codes:
// 4.2.2 mailbox full, 5.3.4 message too big, 5.1.1 bad mailbox, 5.7.1 not authorized,
// 4.3.0 mail system error, 5.6.0 bad content, 4.7.0 security/policy), PRODUCT.md §6-7.
#include "smtp/server/error_map.hpp"

#include "log/log.hpp"

namespace tegami::smtp::server {

proto::Reply reply_for(const Error& e, std::string_view what) {
  using proto::make_reply;
  switch (e.code) {
    case Errc::kOverQuota:
      // Temporary for now: the grace-period policy (then 552 5.2.2) comes with quotas.
      return make_reply(452, "4.2.2",
                        (e.message.empty() ? std::string("Mailbox full") : e.message) +
                            " Please try again later.");
    case Errc::kTooBig:
      return make_reply(552, "5.3.4", e.message.empty() ? "Message too big" : e.message);
    case Errc::kNotFound:
      return make_reply(550, "5.1.1", e.message.empty() ? "No such user here" : e.message);
    case Errc::kPerm:
      return make_reply(550, "5.7.1", e.message.empty() ? "Not allowed" : e.message);
    case Errc::kLimit:
      return make_reply(451, "4.7.0", e.message.empty() ? "Limit reached" : e.message);
    case Errc::kInvalidData:
      return make_reply(554, "5.6.0", e.message.empty() ? "Invalid message" : e.message);
    case Errc::kExists:
    case Errc::kInUse:
    case Errc::kTemporary:
    case Errc::kInternal:
      break;
  }
  std::string id = log::new_error_id();
  log::error("smtp_error",
             {{"id", id}, {"op", what}, {"code", errc_name(e.code)}, {"message", e.message}});
  return make_reply(451, "4.3.0", "Internal error, id " + id + "; please try again later");
}

}  // namespace tegami::smtp::server
