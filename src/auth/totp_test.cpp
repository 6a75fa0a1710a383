#include "auth/totp.hpp"

#include <gtest/gtest.h>

namespace tegami::auth {
namespace {

// RFC 6238 Appendix B.
struct Vector {
  int64_t time;
  const char* sha1;
  const char* sha256;
  const char* sha512;
};
const Vector kVectors[] = {
    {59, "94287082", "46119246", "90693936"},
    {1111111109, "07081804", "68084774", "25091201"},
    {1111111111, "14050471", "67062674", "99943326"},
    {1234567890, "89005924", "91819424", "93441116"},
    {2000000000, "69279037", "90698825", "38618901"},
    {20000000000, "65353130", "77737706", "47863826"},
};

TEST(Totp, Rfc6238Vectors) {
  const std::string k1 = "12345678901234567890";
  const std::string k256 = "12345678901234567890123456789012";
  const std::string k512 = "1234567890123456789012345678901234567890123456789012345678901234";
  for (const auto& v : kVectors) {
    EXPECT_EQ(totp_code(k1, v.time, 8, 30, TotpHash::kSha1), v.sha1) << v.time;
    EXPECT_EQ(totp_code(k256, v.time, 8, 30, TotpHash::kSha256), v.sha256) << v.time;
    EXPECT_EQ(totp_code(k512, v.time, 8, 30, TotpHash::kSha512), v.sha512) << v.time;
  }
  // Six digits are the last six of the eight.
  EXPECT_EQ(totp_code(k1, 59), "287082");
  EXPECT_EQ(totp_code(k1, 1111111109), "081804");
}

TEST(Base32, Rfc4648Vectors) {
  EXPECT_EQ(base32_encode(""), "");
  EXPECT_EQ(base32_encode("f"), "MY");
  EXPECT_EQ(base32_encode("fo"), "MZXQ");
  EXPECT_EQ(base32_encode("foo"), "MZXW6");
  EXPECT_EQ(base32_encode("foob"), "MZXW6YQ");
  EXPECT_EQ(base32_encode("fooba"), "MZXW6YTB");
  EXPECT_EQ(base32_encode("foobar"), "MZXW6YTBOI");
  EXPECT_EQ(base32_decode("MZXW6YTBOI======"), "foobar");
  EXPECT_EQ(base32_decode("mzxw 6ytb oi"), "foobar");
  EXPECT_EQ(base32_decode("MY"), "f");
  EXPECT_FALSE(base32_decode("MZ1W").has_value());  // '1' is not base32
  EXPECT_EQ(base32_decode(base32_encode("12345678901234567890")), "12345678901234567890");
}

TEST(Totp, SecretAndVerify) {
  std::string secret = generate_totp_secret();
  EXPECT_EQ(secret.size(), 32u);
  EXPECT_EQ(base32_decode(secret)->size(), 20u);
  EXPECT_NE(generate_totp_secret(), secret);

  const std::string key = *base32_decode(secret);
  const int64_t now = 1'800'000'015;
  int64_t step = 0;
  EXPECT_TRUE(verify_totp(secret, totp_code(key, now), now, 1, &step));
  EXPECT_EQ(step, now / 30);
  EXPECT_TRUE(verify_totp(secret, totp_code(key, now - 30), now, 1, &step));
  EXPECT_EQ(step, now / 30 - 1);
  EXPECT_TRUE(verify_totp(secret, totp_code(key, now + 30), now));
  EXPECT_FALSE(verify_totp(secret, totp_code(key, now - 60), now));
  EXPECT_FALSE(verify_totp(secret, totp_code(key, now + 60), now));
  EXPECT_FALSE(verify_totp(secret, totp_code(key, now - 30), now, 0));
  std::string code = totp_code(key, now);
  EXPECT_TRUE(verify_totp(secret, code.substr(0, 3) + " " + code.substr(3), now));
  EXPECT_FALSE(verify_totp(secret, "12345", now));
  EXPECT_FALSE(verify_totp(secret, "12345a", now));
  EXPECT_FALSE(verify_totp(secret, "", now));
  EXPECT_FALSE(verify_totp("not base32!", code, now));
}

TEST(Totp, Uri) {
  EXPECT_EQ(totp_uri("Tegami", "demo@tegami.test", "JBSWY3DPEHPK3PXP"),
            "otpauth://totp/Tegami:demo@tegami.test?secret=JBSWY3DPEHPK3PXP&issuer=Tegami&"
            "algorithm=SHA1&digits=6&period=30");
  EXPECT_EQ(totp_uri("My Mail", "a@b", "AB"),
            "otpauth://totp/My%20Mail:a@b?secret=AB&issuer=My%20Mail&algorithm=SHA1&digits=6&"
            "period=30");
}

}  // namespace
}  // namespace tegami::auth
