// Errc -> IMAP response codes. RFC 5530 (IMAP response codes), RFC 9051 §7.1, RFC 9208 §4.3
// (OVERQUOTA), RFC 7889 (TOOBIG via APPENDLIMIT).
#include "imap/server/error_map.hpp"

#include "log/log.hpp"

namespace tegami::imap::server {

std::string_view response_code(Errc c) {
  switch (c) {
    case Errc::kNotFound:
      return "NONEXISTENT";
    case Errc::kExists:
      return "ALREADYEXISTS";
    case Errc::kOverQuota:
      return "OVERQUOTA";
    case Errc::kTooBig:
      return "TOOBIG";
    case Errc::kLimit:
      return "LIMIT";
    case Errc::kPerm:
      return "CANNOT";
    case Errc::kInUse:
      return "INUSE";
    case Errc::kInvalidData:
      return "CANNOT";
    case Errc::kTemporary:
      return "UNAVAILABLE";
    case Errc::kInternal:
      return "SERVERBUG";
  }
  return "SERVERBUG";
}

std::string no_response(const Error& e, std::string_view command) {
  std::string out = "NO [";
  out += response_code(e.code);
  out += "] ";
  if (e.code == Errc::kInternal) {
    std::string id = log::new_error_id();
    log::error("imap_store_error", {{"id", id}, {"command", command}, {"error", e.message}});
    out += "internal error, id " + id;
  } else if (e.message.empty()) {
    out += std::string(command) + " failed";
  } else {
    // One sentence meant for the user; keep it on one line.
    for (char ch : e.message) out += (ch == '\r' || ch == '\n') ? ' ' : ch;
  }
  return out;
}

}  // namespace tegami::imap::server
