// IMAP BODY and BODYSTRUCTURE from a scanned structure; internal to index/.
#pragma once

#include <string>
#include <string_view>

#include "mime/structure.hpp"

namespace tegami::index {

// RFC 9051 §7.5.2 "BODYSTRUCTURE" (extensible = true) or "BODY" (false) of the message whose
// structure is `st` (parts[0] is the message).
std::string body_structure(std::string_view raw, const mime::Structure& st, bool extensible);

}  // namespace tegami::index
