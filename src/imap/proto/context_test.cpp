// Tests: RFC 5267 §4 return options (UPDATE, CONTEXT, PARTIAL) and CANCELUPDATE.
#include <gtest/gtest.h>

#include "imap/proto/command.hpp"
#include "imap/proto/test_util.hpp"

namespace tegami::imap::proto {
namespace {

using testing::bad;
using testing::ok;

TEST(Context, ReturnOptions) {
  auto c = ok("a SEARCH RETURN (UPDATE COUNT) DELETED KEYWORD $Junk");
  EXPECT_TRUE(c.as<SearchArgs>().ret.update);
  EXPECT_TRUE(c.as<SearchArgs>().ret.count);
  EXPECT_FALSE(c.as<SearchArgs>().ret.all);
  c = ok("a UID SEARCH RETURN (CONTEXT PARTIAL 1:500) UNSEEN");
  EXPECT_TRUE(c.as<SearchArgs>().ret.context);
  ASSERT_TRUE(c.as<SearchArgs>().ret.partial);
  EXPECT_EQ(*c.as<SearchArgs>().ret.partial, std::make_pair(1u, 500u));
  c = ok("a SEARCH RETURN (partial 500:400) ALL");  // RFC 5267 §5: 500:400 is 400:500
  EXPECT_EQ(*c.as<SearchArgs>().ret.partial, std::make_pair(400u, 500u));
  c = ok("a UID SORT RETURN (UPDATE PARTIAL 1:10 COUNT) (DATE) UTF-8 ALL");
  EXPECT_TRUE(c.as<SortArgs>().ret.update);
  EXPECT_EQ(*c.as<SortArgs>().ret.partial, std::make_pair(1u, 10u));
  bad("a SEARCH RETURN (PARTIAL 0:10) ALL");  // out of range: nz-number
  bad("a SEARCH RETURN (PARTIAL 1:4294967296) ALL");
  bad("a SEARCH RETURN (PARTIAL 1) ALL");
  bad("a SEARCH RETURN (PARTIAL *:5) ALL");
  bad("a SEARCH RETURN (PARTIAL 1:5 ALL) ALL");  // §4.4: not both
  bad("a SEARCH RETURN (PARTIAL 1:5 PARTIAL 6:9) ALL");
}

TEST(Context, CancelUpdate) {
  auto c = ok("a CANCELUPDATE \"B01\"");
  EXPECT_EQ(c.type, CommandType::kCancelUpdate);
  EXPECT_EQ(c.as<CancelUpdateArgs>().tags, (std::vector<std::string>{"B01"}));
  c = ok("a CANCELUPDATE \"B01\" \"B02\"");
  EXPECT_EQ(c.as<CancelUpdateArgs>().tags.size(), 2u);
  bad("a CANCELUPDATE");
  bad("a CANCELUPDATE (B01)");
  bad("a UID CANCELUPDATE \"B01\"");
}

}  // namespace
}  // namespace tegami::imap::proto
