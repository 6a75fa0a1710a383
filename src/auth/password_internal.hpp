// Helpers shared by the files of auth/ (not part of its public interface).
#pragma once

#include <string_view>

namespace tegami::auth {

void ensure_sodium();
// TEGAMI_TEST_CHEAP_HASH=1: minimum Argon2id cost, for test suites.
bool cheap_hash_enabled();
// True when a normalized password has the shape of an app password (16 letters a-z).
bool looks_like_app_password(std::string_view normalized);

}  // namespace tegami::auth
