#include <gtest/gtest.h>
#include <stdlib.h>

#include <set>

#include "auth/authenticator.hpp"

namespace tegami::auth {
namespace {

TEST(Password, HashAndVerify) {
  setenv("TEGAMI_TEST_CHEAP_HASH", "1", 1);
  std::string h = hash_password("s3cret pass");
  EXPECT_EQ(h.rfind("$argon2id$", 0), 0u) << h;
  EXPECT_TRUE(verify_password(h, "s3cret pass"));
  EXPECT_FALSE(verify_password(h, "s3cret Pass"));
  EXPECT_FALSE(verify_password(h, ""));
  EXPECT_FALSE(verify_password("", "s3cret pass"));
  EXPECT_FALSE(verify_password("garbage", "s3cret pass"));
  EXPECT_NE(hash_password("s3cret pass"), h);  // salted
}

TEST(Password, InteractiveCostWithoutTheTestVariable) {
  unsetenv("TEGAMI_TEST_CHEAP_HASH");
  std::string h = hash_password("pw");
  setenv("TEGAMI_TEST_CHEAP_HASH", "1", 1);
  EXPECT_NE(h.find("m=65536"), std::string::npos) << h;  // 64 MiB: MEMLIMIT_INTERACTIVE
  EXPECT_TRUE(verify_password(h, "pw"));                 // verifies whatever the current setting
  std::string cheap = hash_password("pw");
  EXPECT_EQ(cheap.find("m=65536"), std::string::npos) << cheap;
  EXPECT_TRUE(verify_password(cheap, "pw"));
}

TEST(AppPassword, Format) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string p = generate_app_password();
    ASSERT_EQ(p.size(), 19u);
    for (size_t j = 0; j < p.size(); ++j) {
      if (j % 5 == 4)
        EXPECT_EQ(p[j], '-') << p;
      else
        EXPECT_TRUE(p[j] >= 'a' && p[j] <= 'z') << p;
    }
    seen.insert(p);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(AppPassword, Normalize) {
  EXPECT_EQ(normalize_app_password("abcd-efgh-ijkl-mnop"), "abcdefghijklmnop");
  EXPECT_EQ(normalize_app_password("ABCD-EFGH-IJKL-MNOP"), "abcdefghijklmnop");
  EXPECT_EQ(normalize_app_password("abcd efgh ijkl mnop"), "abcdefghijklmnop");
  EXPECT_EQ(normalize_app_password("AbCdEfGhIjKlMnOp"), "abcdefghijklmnop");
  EXPECT_EQ(normalize_app_password(""), "");
}

}  // namespace
}  // namespace tegami::auth
