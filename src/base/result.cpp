#include "base/result.hpp"

namespace tegami {

const char* errc_name(Errc c) {
  switch (c) {
    case Errc::kNotFound:
      return "not_found";
    case Errc::kExists:
      return "exists";
    case Errc::kOverQuota:
      return "over_quota";
    case Errc::kTooBig:
      return "too_big";
    case Errc::kLimit:
      return "limit";
    case Errc::kPerm:
      return "perm";
    case Errc::kInUse:
      return "in_use";
    case Errc::kInvalidData:
      return "invalid_data";
    case Errc::kTemporary:
      return "temporary";
    case Errc::kInternal:
      return "internal";
  }
  return "unknown";
}

}  // namespace tegami
