#include "log/log.hpp"

#include <gtest/gtest.h>

namespace tegami::log {

TEST(Log, QuotesValuesThatNeedIt) {
  EXPECT_EQ(quote("plain"), "plain");
  EXPECT_EQ(quote("two words"), "\"two words\"");
  EXPECT_EQ(quote("a\"b"), "\"a\\\"b\"");
  EXPECT_EQ(quote("line\r\n"), "\"line\\x0d\\x0a\"");
  EXPECT_EQ(quote(""), "\"\"");
}

TEST(Log, ErrorIdsAreDistinct) { EXPECT_NE(new_error_id(), new_error_id()); }

}  // namespace tegami::log
