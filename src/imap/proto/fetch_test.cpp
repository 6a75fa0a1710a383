// Tests: FETCH, STORE, COPY, MOVE, sequence sets (RFC 9051 §6.4.5-§6.4.9, §9 sequence-set,
// RFC 3516, RFC 7162, RFC 8474, RFC 8514, RFC 8970, RFC 5182).
#include <gtest/gtest.h>

#include "imap/proto/command.hpp"
#include "imap/proto/response.hpp"
#include "imap/proto/test_util.hpp"

namespace tegami::imap::proto {
namespace {

using testing::bad;
using testing::ok;
using A = FetchAtt::Type;

std::vector<std::string> names(const FetchArgs& f) {
  std::vector<std::string> v;
  for (const auto& a : f.atts) {
    v.push_back(fetch_att_response_name(a));
  }
  return v;
}

TEST(Fetch, ThunderbirdHeaders) {
  auto c =
      ok("A1 UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject "
         "Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type "
         "Reply-To)])");
  ASSERT_TRUE(c.uid);
  const auto& f = c.as<FetchArgs>();
  ASSERT_EQ(f.set.ranges.size(), 1u);
  EXPECT_EQ(f.set.ranges[0].first, 1u);
  EXPECT_EQ(f.set.ranges[0].last, kStar);
  ASSERT_EQ(f.atts.size(), 4u);
  EXPECT_EQ(f.atts[0].type, A::kUid);
  EXPECT_EQ(f.atts[1].type, A::kRfc822Size);
  EXPECT_EQ(f.atts[2].type, A::kFlags);
  const auto& b = f.atts[3];
  EXPECT_EQ(b.type, A::kBodySection);
  EXPECT_TRUE(b.peek);
  EXPECT_EQ(b.section.text, Section::Text::kHeaderFields);
  ASSERT_EQ(b.section.fields.size(), 14u);
  EXPECT_EQ(b.section.fields[0], "From");
  EXPECT_EQ(b.section.fields[13], "Reply-To");
  EXPECT_EQ(fetch_att_response_name(b).substr(0, 33), "BODY[HEADER.FIELDS (From To Cc Bc");
}

TEST(Fetch, RealClientShapes) {
  // Apple Mail
  auto c =
      ok("9 UID FETCH 1:20 (INTERNALDATE UID RFC822.SIZE FLAGS MODSEQ "
         "BODY.PEEK[HEADER.FIELDS (date subject from to cc message-id in-reply-to "
         "references content-type x-priority x-uniform-type-identifier "
         "x-universally-unique-identifier list-id list-unsubscribe bimi-indicator "
         "bimi-location x-bimi-indicator-hash authentication-results "
         "dkim-signature)])");
  EXPECT_EQ(c.as<FetchArgs>().atts.size(), 6u);
  // K-9 / Outlook
  c =
      ok("6 UID FETCH 3445 (UID INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (date subject "
         "from content-type to cc bcc message-id in-reply-to references)] FLAGS)");
  EXPECT_EQ(c.as<FetchArgs>().atts.back().type, A::kFlags);
  c = ok("A5 UID FETCH 5 (UID BODY.PEEK[]<0.32768>)");
  const auto& a = c.as<FetchArgs>().atts[1];
  ASSERT_TRUE(a.partial);
  EXPECT_EQ(a.partial->origin, 0u);
  EXPECT_EQ(a.partial->size, 32768u);
  EXPECT_EQ(fetch_att_response_name(a), "BODY[]<0>");
  // mbsync
  c = ok("8 UID FETCH 1:1000000000 (UID FLAGS)");
  EXPECT_EQ(c.as<FetchArgs>().set.ranges[0].last, 1000000000u);
  c = ok("9 UID FETCH 15 (BODY.PEEK[])");
  EXPECT_EQ(c.as<FetchArgs>().atts[0].section.text, Section::Text::kNone);
  // imaplib
  c = ok("DKAF3 FETCH 1 (RFC822)");
  EXPECT_EQ(c.as<FetchArgs>().atts[0].type, A::kRfc822);
  c = ok("A FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])");
  EXPECT_FALSE(c.as<FetchArgs>().atts[1].peek);
  // iOS
  c =
      ok("7 UID FETCH 4827:4830 (UID FLAGS BODYSTRUCTURE BODY.PEEK[1.2.MIME] BINARY.PEEK[1.1] "
         "BINARY.SIZE[2] EMAILID THREADID SAVEDATE PREVIEW)");
  const auto& f = c.as<FetchArgs>();
  EXPECT_EQ(names(f), (std::vector<std::string>{"UID", "FLAGS", "BODYSTRUCTURE", "BODY[1.2.MIME]",
                                                "BINARY[1.1]", "BINARY.SIZE[2]", "EMAILID",
                                                "THREADID", "SAVEDATE", "PREVIEW"}));
  EXPECT_EQ(f.atts[3].section.part, (std::vector<uint32_t>{1, 2}));
  EXPECT_TRUE(f.atts[4].peek);
}

TEST(Fetch, Macros) {
  auto v = names(ok("a FETCH 1 ALL").as<FetchArgs>());
  EXPECT_EQ(v, (std::vector<std::string>{"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"}));
  EXPECT_EQ(ok("a FETCH 1 fast").as<FetchArgs>().atts.size(), 3u);
  EXPECT_EQ(ok("a FETCH 1 FULL").as<FetchArgs>().atts.back().type, A::kBody);
  EXPECT_EQ(ok("a FETCH 1:* flags").as<FetchArgs>().atts[0].type, A::kFlags);
  EXPECT_EQ(ok("a FETCH 1 BODY").as<FetchArgs>().atts[0].type, A::kBody);
  EXPECT_EQ(ok("a FETCH 1 body[text]").as<FetchArgs>().atts[0].section.text, Section::Text::kText);
}

TEST(Fetch, PreviewModifiers) {  // RFC 8970 §3: PREVIEW ["(" preview-mod ")"], LAZY
  auto c = ok("a FETCH 1 preview (lazy)");
  ASSERT_EQ(c.as<FetchArgs>().atts.size(), 1u);
  EXPECT_EQ(c.as<FetchArgs>().atts[0].type, A::kPreview);
  EXPECT_TRUE(c.as<FetchArgs>().atts[0].preview_lazy);
  c = ok("a UID FETCH 1:* (PREVIEW FLAGS)");
  EXPECT_FALSE(c.as<FetchArgs>().atts[0].preview_lazy);
  EXPECT_EQ(c.as<FetchArgs>().atts[1].type, A::kFlags);
  bad("a FETCH 1 (PREVIEW (FOO))");
  bad("a FETCH 1 PREVIEW ()");
}

TEST(Fetch, Sections) {
  auto c =
      ok("a FETCH 1 (BODY[1.2.HEADER.FIELDS.NOT (a b)] BODY[3.TEXT]<10.20> BODY[HEADER] "
         "RFC822.HEADER RFC822.TEXT ENVELOPE PREVIEW (LAZY))");
  const auto& f = c.as<FetchArgs>();
  EXPECT_EQ(f.atts[0].section.text, Section::Text::kHeaderFieldsNot);
  EXPECT_EQ(f.atts[0].section.part, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(fetch_att_response_name(f.atts[0]), "BODY[1.2.HEADER.FIELDS.NOT (a b)]");
  EXPECT_EQ(fetch_att_response_name(f.atts[1]), "BODY[3.TEXT]<10>");
  EXPECT_EQ(fetch_att_response_name(f.atts[2]), "BODY[HEADER]");
  EXPECT_TRUE(f.atts[6].preview_lazy);
  bad("a FETCH 1 BODY[MIME]");  // MIME needs a part
  bad("a FETCH 1 BODY[0]");     // parts are nz-number
  bad("a FETCH 1 BODY[1..2]");
  bad("a FETCH 1 BODY[1.]");
  bad("a FETCH 1 BODY[HEADER.FIELDS]");
  bad("a FETCH 1 BODY[HEADER.FIELDS ()]");
  bad("a FETCH 1 BODY[FOO]");
  bad("a FETCH 1 BODY[TEXT");
  bad("a FETCH 1 BINARY[HEADER]");
  bad("a FETCH 1 BODY[]<5>");
  bad("a FETCH 1 BODY[]<5.0>");
  bad("a FETCH 1 BODY.PEEK");
  bad("a FETCH 1 BINARY.SIZE");
}

TEST(Fetch, Modifiers) {
  auto c = ok("a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)");
  const auto& f = c.as<FetchArgs>();
  EXPECT_EQ(*f.changed_since, 12345u);
  EXPECT_TRUE(f.vanished);
  EXPECT_EQ(*ok("a FETCH 1:* FLAGS (CHANGEDSINCE 7)").as<FetchArgs>().changed_since, 7u);
  bad("a FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)");  // VANISHED needs UID FETCH
  bad("a UID FETCH 1:* (FLAGS) (VANISHED)");             // and CHANGEDSINCE
  bad("a FETCH 1 (FLAGS) (FROB)");
}

TEST(Fetch, Malformed) {
  auto e = bad("a FETCH 1 (FLAGS");
  EXPECT_NE(e.text.find("missing ')'"), std::string::npos) << e.text;
  e = bad("a FETCH 1 FLAGS)");
  EXPECT_NE(e.text.find("unexpected characters"), std::string::npos) << e.text;
  EXPECT_EQ(e.text.substr(0, 29), "Error in IMAP command FETCH: ");
  bad("a FETCH 1 ()");
  bad("a FETCH 1 (FLAGS))");
  bad("a FETCH 1 (FOO)");
  bad("a FETCH (FLAGS)");
  bad("a FETCH 1");
  bad("a FETCH");
}

TEST(SequenceSet, Parsing) {
  auto s = ok("a FETCH 1,3:5,7:*,*:9,* FLAGS").as<FetchArgs>().set;
  ASSERT_EQ(s.ranges.size(), 5u);
  EXPECT_EQ(s.ranges[3].first, kStar);
  EXPECT_EQ(s.ranges[3].last, 9u);
  EXPECT_EQ(sequence_set_string(s), "1,3:5,7:*,*:9,*");
  auto rs = s.resolve(20);
  EXPECT_EQ(rs[2], (std::pair<uint32_t, uint32_t>{7, 20}));
  EXPECT_EQ(rs[3], (std::pair<uint32_t, uint32_t>{9, 20}));
  EXPECT_TRUE(s.contains(20, 20));
  EXPECT_FALSE(s.contains(6, 20));
  auto m = ok("a FETCH 5:7,1,2,3,9:8,4294967295,4294967294 FLAGS").as<FetchArgs>().set.merged(10);
  EXPECT_EQ(
      m, (std::vector<std::pair<uint32_t, uint32_t>>{{1, 3}, {5, 9}, {4294967294u, 4294967295u}}));
  auto r2 = ok("a FETCH 9:2 FLAGS").as<FetchArgs>().set.resolve(100);
  EXPECT_EQ(r2[0], (std::pair<uint32_t, uint32_t>{2, 9}));
  EXPECT_EQ(ok("a FETCH 4294967295 UID").as<FetchArgs>().set.ranges[0].first, 4294967295u);
  EXPECT_TRUE(ok("a FETCH $ UID").as<FetchArgs>().set.saved);
  for (const char* b :
       {"a FETCH 0 FLAGS", "a FETCH 1:0 FLAGS", "a FETCH 4294967296 FLAGS",
        "a FETCH 99999999999999999999999 FLAGS", "a FETCH 1, FLAGS", "a FETCH ,1 FLAGS",
        "a FETCH 1::2 FLAGS", "a FETCH 1:2:3 FLAGS", "a FETCH : FLAGS", "a FETCH 1,,2 FLAGS",
        "a FETCH $,1 FLAGS", "a FETCH 1a FLAGS", "a FETCH -1 FLAGS", "a FETCH ** FLAGS"}) {
    auto e = bad(b);
    EXPECT_NE(e.text.find("sequence set"), std::string::npos) << b << ": " << e.text;
  }
}

TEST(SequenceSet, ItemLimit) {
  std::string line = "a FETCH 1";
  for (int i = 2; i < 200; i += 2) {
    line += "," + std::to_string(i);
  }
  line += " FLAGS";
  Limits lim;
  lim.max_items = 50;
  EXPECT_NE(bad(line, lim).text.find("too many"), std::string::npos);
  ok(line);
}

TEST(Store, Shapes) {
  auto c = ok("a UID STORE 3 +FLAGS.SILENT (\\Seen)");
  const auto& s = c.as<StoreArgs>();
  EXPECT_EQ(s.op, StoreArgs::Op::kAdd);
  EXPECT_TRUE(s.silent);
  EXPECT_EQ(s.flags, (std::vector<std::string>{"\\Seen"}));
  c = ok("a STORE 1:2 -FLAGS (\\Deleted $Junk)");
  EXPECT_EQ(c.as<StoreArgs>().op, StoreArgs::Op::kRemove);
  EXPECT_FALSE(c.as<StoreArgs>().silent);
  c = ok("a STORE 1 FLAGS ()");
  EXPECT_EQ(c.as<StoreArgs>().op, StoreArgs::Op::kReplace);
  EXPECT_TRUE(c.as<StoreArgs>().flags.empty());
  c = ok("a STORE 2 +flags \\Answered \\Flagged");  // imaplib without parens
  EXPECT_EQ(c.as<StoreArgs>().flags.size(), 2u);
  c = ok("a UID STORE 1:* (UNCHANGEDSINCE 320162338) +FLAGS.SILENT ($Forwarded)");
  EXPECT_EQ(*c.as<StoreArgs>().unchanged_since, 320162338u);
  bad("a STORE 1 FLAGS");
  bad("a STORE 1 +FLAGZ (\\Seen)");
  bad("a STORE 1 +FLAGS (\\Seen");
  bad("a STORE 1 +FLAGS (\\*)");
  bad("a STORE 1 (FOO 1) +FLAGS (\\Seen)");
  bad("a STORE 1 +FLAGS (\\Se\xc3\xa9n)");
}

TEST(CopyMove, Shapes) {
  auto c = ok("a UID COPY 1:3,5 \"Sent Items\"");
  EXPECT_EQ(c.as<CopyArgs>().mailbox, "Sent Items");
  EXPECT_EQ(c.type, CommandType::kCopy);
  c = ok("a UID MOVE 42 inbox");
  EXPECT_EQ(c.type, CommandType::kMove);
  EXPECT_EQ(c.as<CopyArgs>().mailbox, "INBOX");
  c = ok("a MOVE $ &ZeVnLIqe-");
  EXPECT_TRUE(c.as<CopyArgs>().set.saved);
  EXPECT_EQ(c.as<CopyArgs>().mailbox, "&ZeVnLIqe-");
  bad("a COPY 1");
  bad("a COPY Trash");
}

}  // namespace
}  // namespace tegami::imap::proto
