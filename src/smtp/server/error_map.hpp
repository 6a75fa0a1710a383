// Errc -> SMTP reply (DESIGN.md §5): the one place where store and domain errors become wire
// codes. Internal and temporary failures are logged with an id that the reply carries.
#pragma once

#include <string_view>

#include "base/result.hpp"
#include "smtp/proto/reply.hpp"

namespace tegami::smtp::server {

// `what` names the operation for the log ("deliver", "rcpt").
proto::Reply reply_for(const Error& e, std::string_view what);

}  // namespace tegami::smtp::server
