// Tests: SEARCH keys and programs, RETURN, CHARSET, nesting limits, SORT, THREAD, ESEARCH
// (RFC 9051 §6.4.4, RFC 4731, RFC 5182, RFC 7162, RFC 5032, RFC 5256, RFC 7377).
#include <gtest/gtest.h>

#include "imap/proto/command.hpp"
#include "imap/proto/test_util.hpp"

namespace tegami::imap::proto {
namespace {

using testing::bad;
using testing::ok;
using T = SearchKey::Type;

const SearchKey& top(const Command& c, size_t i) { return c.as<SearchArgs>().key.children.at(i); }

TEST(Search, Basic) {
  auto c = ok("a SEARCH UNSEEN");
  ASSERT_EQ(c.as<SearchArgs>().key.type, T::kAnd);
  EXPECT_EQ(top(c, 0).type, T::kUnseen);
  c = ok("A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"");
  EXPECT_EQ(top(c, 0).type, T::kFlagged);
  EXPECT_EQ(top(c, 1).type, T::kSince);
  EXPECT_EQ(top(c, 1).date.year, 1994);
  EXPECT_EQ(top(c, 1).date.month, 2);
  EXPECT_EQ(top(c, 1).date.day, 1);
  EXPECT_EQ(top(c, 2).type, T::kNot);
  EXPECT_EQ(top(c, 2).children[0].type, T::kFrom);
  EXPECT_EQ(top(c, 2).children[0].text, "Smith");
  c = ok("a UID SEARCH UID 1:* NOT DELETED");
  EXPECT_TRUE(c.uid);
  EXPECT_EQ(top(c, 0).type, T::kUid);
  c = ok("a SEARCH 1:5,7 OR SEEN (ANSWERED FLAGGED)");
  EXPECT_EQ(top(c, 0).type, T::kSequence);
  EXPECT_EQ(top(c, 1).type, T::kOr);
  EXPECT_EQ(top(c, 1).children[1].type, T::kAnd);
  EXPECT_EQ(top(c, 1).children[1].children.size(), 2u);
  c = ok("a SEARCH HEADER Message-ID \"<abc@example.com>\" SENTBEFORE \"05-Mar-2024\"");
  EXPECT_EQ(top(c, 0).text, "Message-ID");
  EXPECT_EQ(top(c, 0).text2, "<abc@example.com>");
  EXPECT_EQ(top(c, 1).date.day, 5);
  c = ok("a SEARCH LARGER 10000 SMALLER 20000 KEYWORD $Junk UNKEYWORD $NotJunk");
  EXPECT_EQ(top(c, 0).number, 10000u);
  EXPECT_EQ(top(c, 2).text, "$Junk");
  c = ok("a SEARCH OLDER 3600 YOUNGER 60 EMAILID M6d99ac3275bb4e THREADID T64b478a75b7ea9");
  EXPECT_EQ(top(c, 0).type, T::kOlder);
  EXPECT_EQ(top(c, 2).text, "M6d99ac3275bb4e");
  c = ok("a SEARCH SAVEDSINCE 1-Jan-2024 SAVEDATESUPPORTED");
  EXPECT_EQ(top(c, 1).type, T::kSaveDateSupported);
  c = ok("a SEARCH $");
  EXPECT_TRUE(top(c, 0).set.saved);
  c = ok("a search all");
  EXPECT_EQ(top(c, 0).type, T::kAll);
}

TEST(Search, AllKeysParse) {
  ok("a SEARCH ALL ANSWERED BCC x BEFORE 1-Jan-2000 BODY x CC x DELETED DRAFT FLAGGED FROM x "
     "HEADER a b KEYWORD k LARGER 1 NEW NOT SEEN OLD ON 1-Jan-2000 OR SEEN DRAFT RECENT SEEN "
     "SENTBEFORE 1-Jan-2000 SENTON 1-Jan-2000 SENTSINCE 1-Jan-2000 SINCE 1-Jan-2000 SMALLER 1 "
     "SUBJECT x TEXT x TO x UID 1 UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNKEYWORD k UNSEEN 1:* "
     "MODSEQ 5 SAVEDBEFORE 1-Jan-2000 SAVEDON 1-Jan-2000");
}

TEST(Search, ModSeq) {
  auto c = ok("a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338");
  EXPECT_EQ(top(c, 0).text, "/flags/\\draft");
  EXPECT_EQ(top(c, 0).text2, "all");
  EXPECT_EQ(top(c, 0).number, 620162338u);
  EXPECT_EQ(top(ok("a SEARCH MODSEQ 0"), 0).number, 0u);
  bad("a SEARCH MODSEQ \"/flags/x\" bogus 5");
}

TEST(Search, ReturnAndCharset) {
  auto c =
      ok("a UID SEARCH RETURN (MIN MAX COUNT) CHARSET UTF-8 SUBJECT "
         "{6}\r\n\xe6\x97\xa5\xe6\x9c\xac\r\n");
  const auto& s = c.as<SearchArgs>();
  EXPECT_TRUE(s.ret.given);
  EXPECT_TRUE(s.ret.min && s.ret.max && s.ret.count);
  EXPECT_FALSE(s.ret.all);
  EXPECT_EQ(*s.charset, "UTF-8");
  EXPECT_EQ(s.key.children[0].text, "\xe6\x97\xa5\xe6\x9c\xac");
  c = ok("a SEARCH RETURN () UNSEEN");
  EXPECT_TRUE(c.as<SearchArgs>().ret.all);
  c = ok("a SEARCH RETURN (SAVE) FLAGGED");
  EXPECT_TRUE(c.as<SearchArgs>().ret.save);
  c = ok("a SEARCH charset us-ascii TEXT \"hello\"");
  EXPECT_EQ(*c.as<SearchArgs>().charset, "US-ASCII");
  // UTF-8 quoted search string (RFC 9051).
  c = ok("a SEARCH SUBJECT \"\xe6\x97\xa5\xe6\x9c\xac\"");
  EXPECT_EQ(top(c, 0).text, "\xe6\x97\xa5\xe6\x9c\xac");
  bad("a SEARCH RETURN (FOO) ALL");
  bad("a SEARCH RETURN ALL");
  bad("a SEARCH CHARSET");
  bad("a SEARCH CHARSET UTF-8");
}

TEST(Search, Malformed) {
  EXPECT_NE(bad("a SEARCH").text.find("missing"), std::string::npos);
  EXPECT_NE(bad("a SEARCH FOO").text.find("unknown search key FOO"), std::string::npos);
  bad("a SEARCH (SEEN");
  bad("a SEARCH SEEN)");
  bad("a SEARCH ()");
  bad("a SEARCH OR SEEN");
  bad("a SEARCH NOT");
  bad("a SEARCH SINCE 32-Jan-2020");
  bad("a SEARCH SINCE 29-Feb-2023");
  bad("a SEARCH SINCE 1-Foo-2020");
  bad("a SEARCH SINCE 2020-01-01");
  bad("a SEARCH LARGER x");
  bad("a SEARCH LARGER 99999999999999999999");
  bad("a SEARCH OLDER 0");
  bad("a SEARCH UID 0");
  bad("a SEARCH HEADER Subject");
  bad("a SEARCH SUBJECT \xe6\x97\xa5");
  bad("a SEARCH  SEEN");
  ok("a SEARCH SINCE 29-Feb-2024");
}

TEST(Search, NestingLimit) {
  Limits lim;
  lim.max_depth = 32;
  std::string deep = "a SEARCH " + std::string(40, '(') + "SEEN" + std::string(40, ')');
  EXPECT_NE(bad(deep, lim).text.find("nested"), std::string::npos);
  std::string okdeep = "a SEARCH " + std::string(30, '(') + "SEEN" + std::string(30, ')');
  ok(okdeep, lim);
  std::string nots = "a SEARCH ";
  for (int i = 0; i < 20000; ++i) {
    nots += "NOT ";
  }
  nots += "SEEN";
  EXPECT_NE(bad(nots).text.find("nested"), std::string::npos);
  std::string ors = "a SEARCH ";
  for (int i = 0; i < 1000; ++i) {
    ors += "OR SEEN ";
  }
  ors += "SEEN";
  bad(ors);
  // Unbalanced, huge: no crash, clear error.
  bad("a SEARCH " + std::string(100000, '('));
}

TEST(Search, ItemLimit) {
  std::string line = "a SEARCH";
  for (int i = 0; i < 100; ++i) {
    line += " SEEN";
  }
  Limits lim;
  lim.max_items = 50;
  EXPECT_NE(bad(line, lim).text.find("too many"), std::string::npos);
}

TEST(Sort, Shapes) {
  auto c = ok("a UID SORT (REVERSE ARRIVAL) UTF-8 ALL");
  ASSERT_EQ(c.type, CommandType::kSort);
  const auto& s = c.as<SortArgs>();
  ASSERT_EQ(s.criteria.size(), 1u);
  EXPECT_TRUE(s.criteria[0].reverse);
  EXPECT_EQ(s.criteria[0].key, SortCriterion::Key::kArrival);
  EXPECT_EQ(s.charset, "UTF-8");
  c = ok("a SORT (SUBJECT REVERSE DATE displayfrom) us-ascii UNDELETED SINCE 1-Feb-1994");
  EXPECT_EQ(c.as<SortArgs>().criteria.size(), 3u);
  EXPECT_EQ(c.as<SortArgs>().key.children.size(), 2u);
  c = ok("a UID SORT RETURN (COUNT ALL) (DATE) UTF-8 ALL");
  EXPECT_TRUE(c.as<SortArgs>().ret.count);
  bad("a SORT () UTF-8 ALL");
  bad("a SORT (FOO) UTF-8 ALL");
  bad("a SORT (DATE) ALL");  // charset is required: "ALL" is read as charset, no keys
  bad("a SORT (REVERSE) UTF-8 ALL");
}

TEST(Thread, Shapes) {
  auto c = ok("a UID THREAD REFERENCES UTF-8 SINCE 5-MAR-2000");
  const auto& t = c.as<ThreadArgs>();
  EXPECT_EQ(t.algorithm, "REFERENCES");
  EXPECT_EQ(t.charset, "UTF-8");
  EXPECT_EQ(t.key.children[0].type, T::kSince);
  ok("a THREAD orderedsubject US-ASCII ALL");
  bad("a THREAD REFERENCES");
}

TEST(Esearch, MultiMailbox) {
  auto c =
      ok("a ESEARCH IN (mailboxes \"folder1\" subtree-one (\"folder2\" inbox) personal) "
         "RETURN (COUNT) UNSEEN");
  const auto& e = c.as<EsearchArgs>();
  ASSERT_EQ(e.sources.size(), 3u);
  EXPECT_EQ(e.sources[0].filter, "MAILBOXES");
  EXPECT_EQ(e.sources[0].mailboxes, (std::vector<std::string>{"folder1"}));
  EXPECT_EQ(e.sources[1].mailboxes, (std::vector<std::string>{"folder2", "INBOX"}));
  EXPECT_TRUE(e.search.ret.count);
  c = ok("a ESEARCH SEEN");
  EXPECT_TRUE(c.as<EsearchArgs>().sources.empty());
  bad("a ESEARCH IN (bogus) ALL");
  bad("a ESEARCH IN () ALL");
}

}  // namespace
}  // namespace tegami::imap::proto
