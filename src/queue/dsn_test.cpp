// Delivery status notifications: the report is read back by our own MIME scanner and by an
// independent parser, Python's standard `email` package (python3 must be installed; the test
// fails, not skips, without it), and explain_failure() is checked code by code in both languages.
#include "queue/dsn.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "base/strings.hpp"
#include "mime/encoding.hpp"
#include "mime/header.hpp"
#include "mime/structure.hpp"

namespace tegami::queue {
namespace {

// ---------------------------------------------------------------------------------------------
// Python's email package as the independent reader. Prints "key<TAB>value" lines; values have
// \\, CR, LF and TAB escaped so that an injected line break stays visible as "\r\n".
constexpr const char* kChecker = R"PY(
import sys, email, email.policy, email.utils
from email.parser import HeaderParser
raw = open(sys.argv[1], 'rb').read()
out = []
def put(k, v):
    v = str(v).replace('\\', '\\\\').replace('\r', '\\r').replace('\n', '\\n').replace('\t', '\\t')
    out.append(k + '\t' + v)
def put_fields(prefix, items):
    for k, v in items:
        put(prefix + k, v)
        if k.lower().endswith('-date') or k.lower() == 'will-retry-until':
            put(prefix + k + '.ts', int(email.utils.parsedate_to_datetime(str(v)).timestamp()))
msg = email.message_from_bytes(raw, policy=email.policy.default)
put('ct', msg.get_content_type())
put('report-type', msg.get_param('report-type'))
for k in msg.keys():
    put('header', k)
for k in ('subject', 'from', 'to', 'auto-submitted', 'message-id', 'mime-version',
          'in-reply-to'):
    if msg[k] is not None:
        put(k, msg[k])
put('date.ts', int(email.utils.parsedate_to_datetime(msg['date']).timestamp()))
for d in msg.defects:
    put('defect', type(d).__name__)
parts = list(msg.iter_parts())
put('nparts', len(parts))
chunks = raw.split(b'\r\n--' + msg.get_boundary().encode())
put('nchunks', len(chunks))
def chunk_body(i):
    return chunks[i].split(b'\r\n\r\n', 1)[1]
for i, p in enumerate(parts, 1):
    for d in p.defects:
        put('defect', type(d).__name__)
    ct = p.get_content_type()
    put('part%d.type' % i, ct)
    put('part%d.cte' % i, p.get('content-transfer-encoding', ''))
    if ct == 'text/plain':
        put('part%d.charset' % i, p.get_content_charset())
        put('part%d.text' % i, p.get_content())
    elif ct in ('message/delivery-status', 'message/global-delivery-status'):
        if ct == 'message/delivery-status':
            blocks = [list(b.items()) for b in p.get_payload()]
        else:  # email has no reader for it: split the raw body into blocks of UTF-8 fields
            body = chunk_body(i).decode('utf-8')
            blocks = [list(HeaderParser(policy=email.policy.default).parsestr(b).items())
                      for b in body.split('\r\n\r\n') if b.strip()]
        put('ds.count', len(blocks))
        for n, b in enumerate(blocks):
            put_fields('ds%d.' % n, b)
    elif ct in ('message/rfc822', 'message/global'):
        sub = p.get_payload()[0]
        for k, v in sub.items():
            put('part%d.msg.%s' % (i, k), v)
        put('part%d.msg.body' % i, sub.get_payload())
        put('part%d.raw' % i, chunk_body(i).decode('utf-8'))
    else:  # text/rfc822-headers, message/global-headers
        body = chunk_body(i).decode('utf-8')
        put('part%d.raw' % i, body)
        for k, v in HeaderParser(policy=email.policy.default).parsestr(body).items():
            put('part%d.field.%s' % (i, k), v)
sys.stdout.buffer.write(('\n'.join(out) + '\n').encode('utf-8', 'surrogateescape'))
)PY";

struct PyResult {
  int rc = -1;
  std::string output;
  std::multimap<std::string, std::string> kv;

  std::string get(const std::string& key) const {
    auto it = kv.find(key);
    return it == kv.end() ? "<missing " + key + ">" : it->second;
  }
  size_t count(const std::string& key) const { return kv.count(key); }
  std::vector<std::string> all(const std::string& key) const {
    std::vector<std::string> v;
    auto [b, e] = kv.equal_range(key);
    for (auto it = b; it != e; ++it) v.push_back(it->second);
    return v;
  }
};

PyResult python_read(const std::string& message) {
  PyResult r;
  char dir_template[] = "/tmp/tegami_dsn_test_XXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (dir == nullptr) return r;
  std::string script = std::string(dir) + "/check.py";
  std::string input = std::string(dir) + "/message.eml";
  std::ofstream(script, std::ios::binary) << kChecker;
  std::ofstream(input, std::ios::binary) << message;
  std::string cmd = "python3 " + script + " " + input + " 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  if (f != nullptr) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) r.output.append(buf, n);
    int status = pclose(f);
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::remove(script.c_str());
  std::remove(input.c_str());
  rmdir(dir);
  std::istringstream lines(r.output);
  std::string line;
  while (std::getline(lines, line)) {
    size_t tab = line.find('\t');
    if (tab != std::string::npos) r.kv.emplace(line.substr(0, tab), line.substr(tab + 1));
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Inputs

const std::string kOriginal =
    "Received: from client.example ([203.0.113.5]) by mail.tegami.test\r\n"
    "From: Alice <alice@tegami.test>\r\n"
    "To: bob@example.net, carol@example.org\r\n"
    "Subject: =?UTF-8?B?5Lya6K2w44Gu6LOH5paZ?=\r\n"
    "Date: Thu, 20 Nov 2025 01:00:00 +0900\r\n"
    "Message-ID: <orig-1@tegami.test>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=UTF-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "明日の会議の資料です。\r\n"
    "Here are the slides.\r\n";

constexpr int64_t kArrival = 1763568000;  // Wed, 19 Nov 2025 16:00:00 +0000

DsnRecipient bob() {
  DsnRecipient r;
  r.final_recipient = "bob@example.net";
  r.original_recipient = "rfc822;bob@example.net";
  r.action = "failed";
  r.status = "5.1.1";
  r.remote_mta = "mx.example.net";
  r.diagnostic = "550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown";
  r.last_attempt = kArrival + 60;
  return r;
}

DsnRecipient carol() {
  DsnRecipient r;
  r.final_recipient = "carol@example.org";
  r.action = "failed";
  r.status = "5.2.2";
  r.remote_mta = "mx1.example.org";
  r.diagnostic =
      "552-5.2.2 The email account that you tried to reach is over quota.\r\n"
      "552 5.2.2 Please direct the recipient to https://support.example.org/quota";
  r.last_attempt = kArrival + 120;
  return r;
}

DsnInput failure_input() {
  DsnInput in;
  in.kind = DsnKind::kFailure;
  in.reporting_mta = "mail.tegami.test";
  in.from = "MAILER-DAEMON@mail.tegami.test";
  in.to = "alice@tegami.test";
  in.envid = "QQ314159";
  in.arrival = kArrival;
  in.now = kArrival + 180;
  in.subject = "会議の資料";
  in.rcpts = {bob(), carol()};
  in.original = kOriginal;
  in.headers_only = true;
  return in;
}

DsnInput delay_input() {
  DsnInput in = failure_input();
  in.kind = DsnKind::kDelay;
  in.now = kArrival + 4 * 3600 + 30;
  DsnRecipient r;
  r.final_recipient = "dave@example.com";
  r.action = "delayed";
  r.status = "4.4.1";
  r.diagnostic = "Connection timed out";
  r.last_attempt = kArrival + 4 * 3600;
  r.retry_until = kArrival + 5 * 86400;
  in.rcpts = {r};
  return in;
}

// ---------------------------------------------------------------------------------------------
// Checks shared by every composed report

// CRLF only, no line over 998 octets (RFC 5322 §2.1.1), nothing after the close delimiter.
void expect_wire_form(const std::string& m) {
  size_t line_start = 0;
  for (size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\r') {
      ASSERT_TRUE(i + 1 < m.size() && m[i + 1] == '\n') << "bare CR at " << i;
    } else if (m[i] == '\n') {
      ASSERT_TRUE(i > 0 && m[i - 1] == '\r') << "bare LF at " << i;
      EXPECT_LE(i - 1 - line_start, 998u) << "long line at " << line_start;
      line_start = i + 1;
    }
  }
  EXPECT_TRUE(m.ends_with("--\r\n"));
}

std::string header_of(const std::string& m) { return m.substr(0, m.find("\r\n\r\n") + 2); }

std::vector<std::string> field_names(const std::string& m) {
  std::vector<std::string> names;
  std::string header = header_of(m);
  for (const auto& f : mime::parse_header_fields(header)) names.emplace_back(f.name);
  return names;
}

std::string field(const std::string& m, std::string_view name) {
  std::string header = header_of(m);
  auto fields = mime::parse_header_fields(header);
  auto v = mime::find_field(fields, name);
  return v ? std::string(*v) : std::string();
}

std::string boundary_of(const std::string& m) {
  auto ct = mime::parse_content_type(field(m, "Content-Type"));
  return mime::find_param(ct.params, "boundary").value_or("");
}

// Body of a scanned part as written.
std::string_view body(const std::string& m, const mime::Part& p) {
  return std::string_view(m).substr(p.body_start, p.body_size());
}

// The blocks of a delivery-status body: per-message fields first, then one per recipient.
std::vector<std::vector<mime::HeaderField>> blocks_of(std::string_view ds) {
  std::vector<std::vector<mime::HeaderField>> out;
  size_t pos = 0;
  while (pos < ds.size()) {
    size_t end = ds.find("\r\n\r\n", pos);
    std::string_view block =
        ds.substr(pos, end == std::string_view::npos ? std::string_view::npos : end + 2 - pos);
    if (!trim(block).empty()) out.push_back(mime::parse_header_fields(block));
    if (end == std::string_view::npos) break;
    pos = end + 4;
  }
  return out;
}

std::string value(const std::vector<mime::HeaderField>& block, std::string_view name) {
  auto v = mime::find_field(block, name);
  return v ? mime::unfold(*v) : "<missing>";
}

// ---------------------------------------------------------------------------------------------
// compose_dsn, read by our scanner

TEST(ComposeDsn, FailureStructureWithOurScanner) {
  DsnInput in = failure_input();
  std::string m = compose_dsn(in);
  expect_wire_form(m);

  mime::Structure st = mime::scan(m);
  const mime::Part& top = st.parts[0];
  ASSERT_TRUE(top.is_type("multipart", "report"));
  EXPECT_EQ(mime::find_param(top.params, "report-type").value_or(""), "delivery-status");
  ASSERT_EQ(top.children.size(), 3u);
  const mime::Part& text = st.parts[top.children[0]];
  const mime::Part& report = st.parts[top.children[1]];
  const mime::Part& headers = st.parts[top.children[2]];
  EXPECT_TRUE(text.is_type("text", "plain"));
  EXPECT_EQ(text.charset(), "utf-8");
  EXPECT_TRUE(iequals(text.encoding, "base64"));
  EXPECT_TRUE(report.is_type("message", "delivery-status"));
  EXPECT_TRUE(headers.is_type("text", "rfc822-headers"));

  // The boundary occurs only in the 3 delimiters and the close delimiter.
  std::string b = boundary_of(m);
  ASSERT_FALSE(b.empty());
  size_t n = 0;
  for (size_t p = m.find(b); p != std::string::npos; p = m.find(b, p + 1)) ++n;
  EXPECT_EQ(n, 5u);  // Content-Type parameter + 3 delimiters + close delimiter

  // Header fields.
  EXPECT_EQ(mime::decode_header_value(field(m, "Subject")),
            "配信できませんでした / Undelivered Mail: 会議の資料");
  EXPECT_EQ(mime::unfold(field(m, "Auto-Submitted")), "auto-replied");
  EXPECT_EQ(mime::unfold(field(m, "MIME-Version")), "1.0");
  EXPECT_EQ(mime::unfold(field(m, "To")), "<alice@tegami.test>");
  EXPECT_EQ(mime::decode_header_value(field(m, "From")),
            "メール配信システム / Mail Delivery System <MAILER-DAEMON@mail.tegami.test>");
  EXPECT_EQ(mime::unfold(field(m, "Date")), "Wed, 19 Nov 2025 16:03:00 +0000");
  EXPECT_EQ(mime::unfold(field(m, "In-Reply-To")), "<orig-1@tegami.test>");
  std::string id = mime::unfold(field(m, "Message-ID"));
  EXPECT_TRUE(id.starts_with("<") && id.ends_with("@mail.tegami.test>")) << id;

  // Part 1: Japanese first, then English; explanations and the replies verbatim.
  std::string t = mime::decoded_text(m, text);
  size_t ja = t.find("件名「会議の資料」のメールを、次の宛先に届けることができませんでした。");
  size_t en = t.find("Your message \"会議の資料\" could not be delivered");
  ASSERT_NE(ja, std::string::npos) << t;
  ASSERT_NE(en, std::string::npos) << t;
  EXPECT_LT(ja, en);
  EXPECT_NE(t.find("■ bob@example.net"), std::string::npos);
  EXPECT_NE(t.find("存在しません"), std::string::npos);
  EXPECT_NE(t.find("does not exist on their mail server"), std::string::npos);
  EXPECT_NE(t.find("Remote server (mx.example.net) said: 550 5.1.1 <bob@example.net>: Recipient "
                   "address rejected: User unknown\r\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("相手のサーバー(mx.example.net)の返答: 550 5.1.1"), std::string::npos);
  // The two-line reply becomes one line, the repeated "552 5.2.2" dropped.
  EXPECT_NE(t.find("Remote server (mx1.example.org) said: 552 5.2.2 The email account that you "
                   "tried to reach is over quota. Please direct the recipient to "
                   "https://support.example.org/quota\r\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("容量いっぱい"), std::string::npos);
  EXPECT_NE(t.find("The recipient's mailbox is full"), std::string::npos);
  EXPECT_EQ(t.find('\n'), t.find("\r\n") + 1);  // CRLF inside the base64 too

  // Part 2.
  auto blocks = blocks_of(body(m, report));
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(value(blocks[0], "Reporting-MTA"), "dns; mail.tegami.test");
  EXPECT_EQ(value(blocks[0], "Original-Envelope-Id"), "QQ314159");
  EXPECT_EQ(value(blocks[0], "Arrival-Date"), "Wed, 19 Nov 2025 16:00:00 +0000");
  EXPECT_EQ(value(blocks[1], "Original-Recipient"), "rfc822;bob@example.net");
  EXPECT_EQ(value(blocks[1], "Final-Recipient"), "rfc822; bob@example.net");
  EXPECT_EQ(value(blocks[1], "Action"), "failed");
  EXPECT_EQ(value(blocks[1], "Status"), "5.1.1");
  EXPECT_EQ(value(blocks[1], "Remote-MTA"), "dns; mx.example.net");
  EXPECT_EQ(value(blocks[1], "Diagnostic-Code"),
            "smtp; 550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown");
  EXPECT_EQ(value(blocks[1], "Last-Attempt-Date"), "Wed, 19 Nov 2025 16:01:00 +0000");
  EXPECT_FALSE(mime::find_field(blocks[1], "Will-Retry-Until"));
  EXPECT_FALSE(mime::find_field(blocks[2], "Original-Recipient"));
  EXPECT_EQ(value(blocks[2], "Final-Recipient"), "rfc822; carol@example.org");
  EXPECT_EQ(value(blocks[2], "Status"), "5.2.2");

  // Part 3: the header block only, ending where the original's header ended.
  std::string_view h = body(m, headers);
  EXPECT_EQ(h, kOriginal.substr(0, kOriginal.find("\r\n\r\n") + 2));
}

// ---------------------------------------------------------------------------------------------
// compose_dsn, read by Python's email package

TEST(ComposeDsn, FailureReadByPythonEmail) {
  std::string m = compose_dsn(failure_input());
  PyResult py = python_read(m);
  ASSERT_EQ(py.rc, 0) << py.output;
  EXPECT_EQ(py.count("defect"), 0u) << py.output;
  EXPECT_EQ(py.get("ct"), "multipart/report");
  EXPECT_EQ(py.get("report-type"), "delivery-status");
  EXPECT_EQ(py.get("nparts"), "3");
  EXPECT_EQ(py.get("subject"), "配信できませんでした / Undelivered Mail: 会議の資料");
  EXPECT_EQ(py.get("from"),
            "メール配信システム / Mail Delivery System <MAILER-DAEMON@mail.tegami.test>");
  EXPECT_EQ(py.get("auto-submitted"), "auto-replied");
  EXPECT_EQ(py.get("date.ts"), std::to_string(kArrival + 180));
  EXPECT_EQ(py.get("part1.type"), "text/plain");
  EXPECT_EQ(py.get("part1.charset"), "utf-8");
  EXPECT_EQ(py.get("part2.type"), "message/delivery-status");
  EXPECT_EQ(py.get("part3.type"), "text/rfc822-headers");
  EXPECT_NE(py.get("part1.text").find("Remote server (mx.example.net) said: 550 5.1.1"),
            std::string::npos);

  // One block of per-message fields, one per recipient.
  EXPECT_EQ(py.get("ds.count"), "3");
  EXPECT_EQ(py.get("ds0.Reporting-MTA"), "dns; mail.tegami.test");
  EXPECT_EQ(py.get("ds0.Original-Envelope-Id"), "QQ314159");
  EXPECT_EQ(py.get("ds0.Arrival-Date.ts"), std::to_string(kArrival));
  EXPECT_EQ(py.get("ds1.Final-Recipient"), "rfc822; bob@example.net");
  EXPECT_EQ(py.get("ds1.Original-Recipient"), "rfc822;bob@example.net");
  EXPECT_EQ(py.get("ds1.Action"), "failed");
  EXPECT_EQ(py.get("ds1.Status"), "5.1.1");
  EXPECT_EQ(py.get("ds1.Remote-MTA"), "dns; mx.example.net");
  EXPECT_EQ(py.get("ds1.Last-Attempt-Date.ts"), std::to_string(kArrival + 60));
  EXPECT_EQ(py.get("ds2.Final-Recipient"), "rfc822; carol@example.org");
  EXPECT_EQ(py.get("ds2.Status"), "5.2.2");
  EXPECT_EQ(py.get("ds2.Diagnostic-Code"),
            "smtp; 552 5.2.2 The email account that you tried to reach is over quota. Please "
            "direct the recipient to https://support.example.org/quota");
  EXPECT_EQ(py.get("part3.field.Message-ID"), "<orig-1@tegami.test>");
  EXPECT_EQ(py.get("part3.field.Subject"), "会議の資料");
}

TEST(ComposeDsn, LongSubjectIsSplitBetweenCharacters) {
  DsnInput in = failure_input();
  // 3- and 4-byte characters mixed with ASCII, so that naive 39-byte cuts would split them.
  std::string subject;
  for (int i = 0; i < 12; ++i) subject += "見積書🍣の件 ab ";
  subject += "end";
  in.subject = subject;
  std::string m = compose_dsn(in);
  expect_wire_form(m);

  std::string raw = field(m, "Subject");
  // Every line of the field within 76 characters (RFC 2047 §2), every word within 75, and
  // every word decodes on its own to valid UTF-8 (split at character boundaries).
  std::string line = "Subject:";
  std::string all = "Subject:" + raw;
  size_t words = 0;
  for (std::string_view l : split(all, '\n')) {
    if (l.ends_with('\r')) l.remove_suffix(1);
    EXPECT_LE(l.size(), 76u) << l;
    for (std::string_view w : split(trim(l.substr(l.starts_with("Subject:") ? 8 : 0)), ' ')) {
      if (w.empty() || !w.starts_with("=?")) continue;  // plain ASCII words stay readable
      ++words;
      EXPECT_LE(w.size(), 75u);
      ASSERT_TRUE(w.starts_with("=?UTF-8?B?") && w.ends_with("?=")) << w;
      auto bytes = base64_decode(w.substr(10, w.size() - 12));
      ASSERT_TRUE(bytes.has_value()) << w;
      EXPECT_TRUE(is_valid_utf8(*bytes)) << w;
    }
  }
  EXPECT_GT(words, 5u);
  std::string expected = "配信できませんでした / Undelivered Mail: " + subject;
  EXPECT_EQ(mime::decode_header_value(raw), expected);
  PyResult py = python_read(m);
  ASSERT_EQ(py.rc, 0) << py.output;
  EXPECT_EQ(py.get("subject"), expected);
  EXPECT_EQ(py.count("defect"), 0u) << py.output;
}

TEST(ComposeDsn, RemoteReplyCannotInjectFields) {
  DsnInput in = failure_input();
  DsnRecipient r = bob();
  r.diagnostic =
      "550 5.1.1 no such user\r\nX-Injected: yes\r\n\r\nFinal-Recipient: rfc822; evil@x\r\n"
      "\r\n--fake-boundary\r\nContent-Type: text/html\r\n\r\n<b>hi</b>\x01\x7f\xc2\x85";
  r.remote_mta = "mx.example.net\r\nX-Evil: 1";
  r.status = "5.1.1\r\nX-Status-Injected: 1";
  r.original_recipient = "rfc822;bob@example.net\r\nX-Orcpt-Injected: 1";
  r.final_recipient = "bob@example.net\nX-Rcpt-Injected: 1";
  in.rcpts = {r};
  in.subject = "hello\r\nBcc: victim@example.com";
  in.envid = "id\r\nX-Envid-Injected: 1";
  in.to = "alice@tegami.test>\r\nX-To-Injected: 1";
  in.reporting_mta = "mail.tegami.test\r\nX-Host-Injected: 1";
  std::string m = compose_dsn(in);
  expect_wire_form(m);

  // Our scanner: same top-level fields as a clean report, no injected ones.
  std::vector<std::string> names = field_names(m);
  std::vector<std::string> clean = field_names(compose_dsn(failure_input()));
  EXPECT_EQ(names, clean);
  EXPECT_EQ(m.find("\r\nX-"), std::string::npos) << "a field starts a line";
  EXPECT_EQ(m.find("\r\nBcc:"), std::string::npos);
  EXPECT_EQ(m.find("\r\nFinal-Recipient: rfc822; evil"), std::string::npos);
  EXPECT_EQ(m.find("\r\n--fake-boundary"), std::string::npos);

  mime::Structure st = mime::scan(m);
  ASSERT_EQ(st.parts[0].children.size(), 3u);
  auto blocks = blocks_of(body(m, st.parts[st.parts[0].children[1]]));
  ASSERT_EQ(blocks.size(), 2u);
  for (const auto& f : blocks[1]) EXPECT_FALSE(istarts_with(f.name, "X-")) << f.name;
  EXPECT_EQ(value(blocks[1], "Status"), "5.1.1");  // the invalid status is not copied
  std::string diag = value(blocks[1], "Diagnostic-Code");
  EXPECT_TRUE(diag.starts_with("smtp; 550 5.1.1 no such user X-Injected: yes Final-Recipient: "))
      << diag;
  for (char c : diag) EXPECT_GE(static_cast<unsigned char>(c), 0x20);

  // Python: no extra header, one recipient block, the reply on one line.
  PyResult py = python_read(m);
  ASSERT_EQ(py.rc, 0) << py.output;
  EXPECT_EQ(py.count("defect"), 0u) << py.output;
  for (const std::string& h : py.all("header")) {
    EXPECT_FALSE(istarts_with(h, "X-") || iequals(h, "Bcc")) << h;
  }
  EXPECT_EQ(py.get("subject"),
            "配信できませんでした / Undelivered Mail: hello Bcc: victim@example.com");
  EXPECT_EQ(py.get("nparts"), "3");
  EXPECT_EQ(py.get("ds.count"), "2");
  EXPECT_EQ(py.get("ds1.Final-Recipient"), "rfc822; bob@example.net X-Rcpt-Injected: 1");
  EXPECT_EQ(py.get("ds1.Remote-MTA"), "dns; mx.example.netX-Evil:1");
  EXPECT_EQ(py.get("ds0.Reporting-MTA"), "dns; mail.tegami.testX-Host-Injected:1");
  EXPECT_EQ(py.get("ds1.Diagnostic-Code").find("\\r"), std::string::npos);
  EXPECT_EQ(py.get("ds1.Diagnostic-Code").find("\\n"), std::string::npos);
  EXPECT_EQ(mime::unfold(field(m, "To")), "<alice@tegami.test X-To-Injected: 1>");
}

TEST(ComposeDsn, RetFullIncludesTheWholeMessage) {
  DsnInput in = failure_input();
  in.headers_only = false;
  std::string m = compose_dsn(in);
  expect_wire_form(m);

  mime::Structure st = mime::scan(m);
  ASSERT_EQ(st.parts[0].children.size(), 3u);
  const mime::Part& p3 = st.parts[st.parts[0].children[2]];
  EXPECT_TRUE(p3.is_type("message", "rfc822"));
  EXPECT_TRUE(iequals(p3.encoding, "8bit"));  // the body has UTF-8 text
  EXPECT_EQ(p3.kind, mime::Part::Kind::kMessage);
  EXPECT_EQ(body(m, p3), kOriginal);
  EXPECT_NE(mime::decoded_text(m, st.parts[st.parts[0].children[0]])
                .find("The original message is attached"),
            std::string::npos);
  EXPECT_EQ(mime::unfold(field(m, "Content-Transfer-Encoding")), "8bit");

  PyResult py = python_read(m);
  ASSERT_EQ(py.rc, 0) << py.output;
  EXPECT_EQ(py.count("defect"), 0u) << py.output;
  EXPECT_EQ(py.get("part3.type"), "message/rfc822");
  EXPECT_EQ(py.get("part3.msg.Message-ID"), "<orig-1@tegami.test>");
  EXPECT_EQ(py.get("part3.msg.Subject"), "会議の資料");
  EXPECT_EQ(py.get("part3.raw"),
            "Received: from client.example ([203.0.113.5]) by mail.tegami.test\\r\\n"
            "From: Alice <alice@tegami.test>\\r\\n"
            "To: bob@example.net, carol@example.org\\r\\n"
            "Subject: =?UTF-8?B?5Lya6K2w44Gu6LOH5paZ?=\\r\\n"
            "Date: Thu, 20 Nov 2025 01:00:00 +0900\\r\\n"
            "Message-ID: <orig-1@tegami.test>\\r\\n"
            "MIME-Version: 1.0\\r\\n"
            "Content-Type: text/plain; charset=UTF-8\\r\\n"
            "Content-Transfer-Encoding: 8bit\\r\\n"
            "\\r\\n"
            "明日の会議の資料です。\\r\\n"
            "Here are the slides.\\r\\n");
}

TEST(ComposeDsn, RetFullOfAnOversizedCopyFallsBackToHeaders) {
  DsnInput in = failure_input();
  in.headers_only = false;
  in.message_size = 1024;
  std::string big = kOriginal + std::string(2 << 20, 'x') + "\r\n";
  in.original = big;
  std::string m = compose_dsn(in);
  EXPECT_LT(m.size(), 64u * 1024);
  mime::Structure st = mime::scan(m);
  ASSERT_EQ(st.parts[0].children.size(), 3u);
  EXPECT_TRUE(st.parts[st.parts[0].children[2]].is_type("text", "rfc822-headers"));
  EXPECT_NE(mime::decoded_text(m, st.parts[st.parts[0].children[0]]).find("only its header"),
            std::string::npos);
}

TEST(ComposeDsn, NonAsciiRecipientUsesGlobalDeliveryStatus) {
  DsnInput in = failure_input();
  DsnRecipient r = bob();
  r.final_recipient = "ユーザー+tag@例え.jp";
  r.original_recipient = "utf-8;ユーザー\\x{2B}tag@例え.jp";
  r.diagnostic = "550 5.1.1 mailbox \"ユーザー+tag\" unknown";
  in.rcpts = {r, carol()};
  std::string m = compose_dsn(in);
  expect_wire_form(m);

  mime::Structure st = mime::scan(m);
  ASSERT_EQ(st.parts[0].children.size(), 3u);
  const mime::Part& report = st.parts[st.parts[0].children[1]];
  EXPECT_TRUE(report.is_type("message", "global-delivery-status"));
  EXPECT_TRUE(iequals(report.encoding, "8bit"));
  auto blocks = blocks_of(body(m, report));
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(value(blocks[1], "Final-Recipient"), "utf-8; ユーザー\\x{2B}tag@例え.jp");
  EXPECT_EQ(value(blocks[2], "Final-Recipient"), "rfc822; carol@example.org");

  PyResult py = python_read(m);
  ASSERT_EQ(py.rc, 0) << py.output;
  EXPECT_EQ(py.count("defect"), 0u) << py.output;
  EXPECT_EQ(py.get("nparts"), "3");
  EXPECT_EQ(py.get("part2.type"), "message/global-delivery-status");
  EXPECT_EQ(py.get("ds.count"), "3");
  EXPECT_EQ(py.get("ds1.Final-Recipient"), "utf-8; ユーザー\\\\x{2B}tag@例え.jp");
  EXPECT_EQ(py.get("ds1.Original-Recipient"), "utf-8;ユーザー\\\\x{2B}tag@例え.jp");
  EXPECT_EQ(py.get("ds1.Diagnostic-Code"), "smtp; 550 5.1.1 mailbox \"ユーザー+tag\" unknown");
  EXPECT_EQ(py.get("ds2.Final-Recipient"), "rfc822; carol@example.org");
  EXPECT_NE(py.get("part1.text").find("■ ユーザー+tag@例え.jp"), std::string::npos);

  // An ASCII-only report stays message/delivery-status.
  EXPECT_EQ(python_read(compose_dsn(failure_input())).get("part2.type"), "message/delivery-status");
}

TEST(ComposeDsn, EightBitOriginalHeaderUsesGlobalTypes) {
  std::string original =
      "From: 山田 <yamada@例え.jp>\r\nSubject: 見積書\r\nMessage-ID: <u8@例え.jp>\r\n\r\n本文\r\n";
  DsnInput in = failure_input();
  in.original = original;
  std::string headers = compose_dsn(in);
  in.headers_only = false;
  std::string full = compose_dsn(in);
  expect_wire_form(headers);
  expect_wire_form(full);

  mime::Structure sh = mime::scan(headers);
  const mime::Part& h3 = sh.parts[sh.parts[0].children[2]];
  EXPECT_TRUE(h3.is_type("message", "global-headers"));
  EXPECT_EQ(body(headers, h3), original.substr(0, original.find("\r\n\r\n") + 2));
  EXPECT_EQ(field(headers, "In-Reply-To"), "");  // a non-ASCII Message-ID is not copied

  mime::Structure sf = mime::scan(full);
  const mime::Part& f3 = sf.parts[sf.parts[0].children[2]];
  EXPECT_TRUE(f3.is_type("message", "global"));
  EXPECT_EQ(f3.kind, mime::Part::Kind::kMessage);
  EXPECT_EQ(body(full, f3), original);

  PyResult py = python_read(full);
  ASSERT_EQ(py.rc, 0) << py.output;
  EXPECT_EQ(py.get("part3.type"), "message/global");
  // email reads a message/global's 8-bit body as undecodable bytes: compare what was written.
  EXPECT_TRUE(py.get("part3.raw").ends_with("\\r\\n\\r\\n本文\\r\\n")) << py.get("part3.raw");
  EXPECT_EQ(py.get("part3.msg.Subject"), "見積書");
}

TEST(ComposeDsn, DelayNotice) {
  DsnInput in = delay_input();
  std::string m = compose_dsn(in);
  expect_wire_form(m);
  EXPECT_EQ(mime::decode_header_value(field(m, "Subject")),
            "配信が遅れています / Delivery delayed: 会議の資料");

  PyResult py = python_read(m);
  ASSERT_EQ(py.rc, 0) << py.output;
  EXPECT_EQ(py.count("defect"), 0u) << py.output;
  EXPECT_EQ(py.get("subject"), "配信が遅れています / Delivery delayed: 会議の資料");
  EXPECT_EQ(py.get("ds.count"), "2");
  EXPECT_EQ(py.get("ds1.Action"), "delayed");
  EXPECT_EQ(py.get("ds1.Status"), "4.4.1");
  EXPECT_EQ(py.get("ds1.Will-Retry-Until.ts"), std::to_string(kArrival + 5 * 86400));
  EXPECT_EQ(py.get("ds1.Diagnostic-Code"), "X-Tegami; Connection timed out");
  EXPECT_EQ(py.count("ds1.Remote-MTA"), 0u);

  std::string t = py.get("part1.text");
  EXPECT_NE(t.find("次の宛先にまだ届いていません"), std::string::npos) << t;
  EXPECT_NE(t.find("今は何もする必要はありません"), std::string::npos) << t;
  EXPECT_NE(t.find("2025年11月25日 01:00(日本時間)までに届かなかった場合"), std::string::npos) << t;
  EXPECT_NE(t.find("has not reached the following recipients yet"), std::string::npos) << t;
  EXPECT_NE(t.find("until Mon, 24 Nov 2025 16:00 UTC"), std::string::npos) << t;
  EXPECT_NE(t.find("Details: Connection timed out"), std::string::npos) << t;
  EXPECT_EQ(t.find("could not be delivered to"), std::string::npos) << t;

  // A failure report about the same recipient never has Will-Retry-Until.
  in.kind = DsnKind::kFailure;
  in.rcpts[0].action = "failed";
  in.rcpts[0].status = "5.4.7";
  PyResult failed = python_read(compose_dsn(in));
  EXPECT_EQ(failed.get("ds1.Action"), "failed");
  EXPECT_EQ(failed.count("ds1.Will-Retry-Until"), 0u);
}

TEST(ComposeDsn, SuccessReport) {
  DsnInput in = delay_input();
  in.kind = DsnKind::kSuccess;
  in.rcpts.resize(1);
  in.rcpts[0].action = "relayed";
  in.rcpts[0].status = "2.0.0";
  in.rcpts[0].diagnostic = "250 2.0.0 Ok: queued as 12345";
  in.rcpts[0].retry_until = 0;
  std::string m = compose_dsn(in);
  expect_wire_form(m);
  PyResult py = python_read(m);
  ASSERT_EQ(py.rc, 0) << py.output;
  EXPECT_EQ(py.count("defect"), 0u) << py.output;
  EXPECT_EQ(py.get("subject"), "配信しました / Delivered: 会議の資料");
  EXPECT_EQ(py.get("ds1.Action"), "relayed");
  EXPECT_EQ(py.get("ds1.Status"), "2.0.0");
  std::string t = py.get("part1.text");
  EXPECT_NE(t.find("次の宛先に届けました"), std::string::npos) << t;
  EXPECT_NE(t.find("was delivered to the following recipients"), std::string::npos) << t;
  EXPECT_EQ(t.find("could not be delivered"), std::string::npos) << t;
  // Without an action a success report says "delivered".
  in.rcpts[0].action.clear();
  EXPECT_EQ(python_read(compose_dsn(in)).get("ds1.Action"), "delivered");
}

TEST(ComposeDsn, MissingActionAndStatusAreDerived) {
  DsnInput in = delay_input();
  in.rcpts[0].action.clear();
  in.rcpts[0].status = "bogus";
  in.rcpts[0].diagnostic = "451 4.7.1 Greylisted, please try again later";
  PyResult py = python_read(compose_dsn(in));
  EXPECT_EQ(py.get("ds1.Action"), "delayed");
  EXPECT_EQ(py.get("ds1.Status"), "4.7.1");
  in.kind = DsnKind::kFailure;
  in.rcpts[0].diagnostic = "Host or domain name not found";
  py = python_read(compose_dsn(in));
  EXPECT_EQ(py.get("ds1.Action"), "failed");
  EXPECT_EQ(py.get("ds1.Status"), "5.0.0");
}

TEST(ComposeDsn, OriginalWithoutSeparator) {
  // All header, no empty line and no final CRLF.
  std::string only_header = "From: a@example.com\r\nSubject: short";
  DsnInput in = failure_input();
  in.original = only_header;
  std::string m = compose_dsn(in);
  expect_wire_form(m);
  mime::Structure st = mime::scan(m);
  ASSERT_EQ(st.parts[0].children.size(), 3u);
  EXPECT_EQ(body(m, st.parts[st.parts[0].children[2]]),
            "From: a@example.com\r\nSubject: short\r\n");
  in.headers_only = false;
  m = compose_dsn(in);
  expect_wire_form(m);
  PyResult py = python_read(m);
  ASSERT_EQ(py.rc, 0) << py.output;
  EXPECT_EQ(py.count("defect"), 0u) << py.output;
  EXPECT_EQ(py.get("part3.msg.Subject"), "short");
  EXPECT_EQ(py.get("part3.msg.body"), "");

  // A header cut short by a line that is not a field: the empty line is added.
  std::string cut = "Subject: cut\r\nthis is body text\r\nmore";
  in.original = cut;
  m = compose_dsn(in);
  expect_wire_form(m);
  py = python_read(m);
  ASSERT_EQ(py.rc, 0) << py.output;
  EXPECT_EQ(py.get("part3.msg.Subject"), "cut");
  EXPECT_EQ(py.get("part3.msg.body"), "this is body text\\r\\nmore\\r\\n");
  in.headers_only = true;
  m = compose_dsn(in);
  st = mime::scan(m);
  EXPECT_EQ(body(m, st.parts[st.parts[0].children[2]]), "Subject: cut\r\n");

  // Bare LF line ends, and an empty original.
  in.original = "Subject: lf\nFrom: b@example.com\n\nbody\n";
  in.headers_only = false;
  m = compose_dsn(in);
  expect_wire_form(m);
  py = python_read(m);
  EXPECT_EQ(py.get("part3.msg.Subject"), "lf");
  EXPECT_EQ(py.get("part3.msg.body"), "body\\r\\n");
  in.original = "";
  m = compose_dsn(in);
  expect_wire_form(m);
  py = python_read(m);
  ASSERT_EQ(py.rc, 0) << py.output;
  EXPECT_EQ(py.get("nparts"), "3");
}

TEST(ComposeDsn, LongDiagnosticIsFolded) {
  DsnInput in = failure_input();
  DsnRecipient r = bob();
  std::string words;
  for (int i = 0; i < 200; ++i) words += "word" + std::to_string(i) + " ";
  std::string token(1500, 'z');  // over 998 octets, under the 4000 kept
  r.diagnostic = "550 5.7.1 " + words + token + " tail";
  in.rcpts = {r};
  std::string m = compose_dsn(in);
  expect_wire_form(m);
  mime::Structure st = mime::scan(m);
  auto blocks = blocks_of(body(m, st.parts[st.parts[0].children[1]]));
  ASSERT_EQ(blocks.size(), 2u);
  std::string diag = value(blocks[1], "Diagnostic-Code");
  // Folding at spaces adds nothing; the 2500-byte token is split with folding spaces.
  EXPECT_TRUE(diag.starts_with("smtp; 550 5.7.1 " + words)) << diag.substr(0, 200);
  EXPECT_TRUE(diag.ends_with(" tail"));
  std::string no_spaces;
  for (char c : diag.substr(diag.find("zzz"))) {
    if (c != ' ') no_spaces += c;
  }
  EXPECT_EQ(no_spaces, token + "tail");
  PyResult py = python_read(m);
  ASSERT_EQ(py.rc, 0) << py.output;
  EXPECT_EQ(py.get("ds.count"), "2");
}

// Arbitrary bytes in every field: the wire form and the 3-part structure always hold, and no
// field other than ours appears at the top or in the delivery-status blocks.
TEST(ComposeDsn, ArbitraryInputKeepsTheStructure) {
  std::mt19937 rng(20251119);
  const std::string alphabet = std::string("\r\n\t :;<>=?-\\\"\x00\x01\x7f", 16) + "aZ5.@" +
                               "\xe3\x81\x82\xff\xc0\xf0\x9f\x8d\xa3\xc2\x85";
  auto junk = [&](size_t max) {
    std::string s;
    size_t n = rng() % (max + 1);
    for (size_t i = 0; i < n; ++i) s += alphabet[rng() % alphabet.size()];
    return s;
  };
  const std::set<std::string> allowed = {"Date",
                                         "From",
                                         "To",
                                         "Subject",
                                         "Message-ID",
                                         "In-Reply-To",
                                         "References",
                                         "Auto-Submitted",
                                         "MIME-Version",
                                         "Content-Type",
                                         "Content-Transfer-Encoding"};
  const std::set<std::string> ds_fields = {"Reporting-MTA",   "Original-Envelope-Id",
                                           "Arrival-Date",    "Original-Recipient",
                                           "Final-Recipient", "Action",
                                           "Status",          "Remote-MTA",
                                           "Diagnostic-Code", "Last-Attempt-Date",
                                           "Will-Retry-Until"};
  for (int iter = 0; iter < 300; ++iter) {
    DsnInput in;
    in.kind = rng() % 2 ? DsnKind::kDelay : DsnKind::kFailure;
    in.reporting_mta = junk(20);
    in.from = junk(20);
    in.to = junk(20);
    in.envid = junk(20);
    in.subject = junk(200);
    in.arrival = rng() % 2 ? 0 : kArrival;
    in.now = kArrival + 10;
    size_t n = 1 + rng() % 3;
    for (size_t i = 0; i < n; ++i) {
      DsnRecipient r;
      r.final_recipient = junk(30);
      r.original_recipient = junk(30);
      r.action = rng() % 2 ? junk(8) : "failed";
      r.status = rng() % 2 ? junk(6) : "5.1.1";
      r.remote_mta = junk(20);
      r.diagnostic = junk(rng() % 4 == 0 ? 3000 : 100);
      r.last_attempt = kArrival;
      r.retry_until = kArrival + 86400;
      in.rcpts.push_back(r);
    }
    std::string original = junk(400);
    in.original = original;
    in.headers_only = rng() % 2;
    std::string m = compose_dsn(in);
    SCOPED_TRACE(iter);
    expect_wire_form(m);
    for (const std::string& name : field_names(m)) EXPECT_TRUE(allowed.count(name)) << name;
    mime::Structure st = mime::scan(m);
    ASSERT_TRUE(st.parts[0].is_type("multipart", "report"));
    ASSERT_EQ(st.parts[0].children.size(), 3u);
    auto blocks = blocks_of(body(m, st.parts[st.parts[0].children[1]]));
    ASSERT_EQ(blocks.size(), n + 1);
    for (const auto& block : blocks) {
      for (const auto& f : block) EXPECT_TRUE(ds_fields.count(std::string(f.name))) << f.name;
    }
    EXPECT_TRUE(is_valid_utf8(mime::decoded_text(m, st.parts[st.parts[0].children[0]])));
  }
}

TEST(ComposeDsn, EveryReportIsUnique) {
  std::string a = compose_dsn(failure_input());
  std::string b = compose_dsn(failure_input());
  EXPECT_NE(boundary_of(a), boundary_of(b));
  EXPECT_NE(field(a, "Message-ID"), field(b, "Message-ID"));
}

// ---------------------------------------------------------------------------------------------
// explain_failure

DsnRecipient rcpt(std::string status, std::string diagnostic, std::string action = "failed") {
  DsnRecipient r;
  r.final_recipient = "x@example.net";
  r.status = std::move(status);
  r.diagnostic = std::move(diagnostic);
  r.action = std::move(action);
  return r;
}

void expect_explains(const DsnRecipient& r, std::string_view ja_part, std::string_view en_part) {
  std::string ja = explain_failure(r, "ja");
  std::string en = explain_failure(r, "en");
  EXPECT_NE(ja.find(ja_part), std::string::npos) << r.status << " " << r.diagnostic << "\n" << ja;
  EXPECT_NE(en.find(en_part), std::string::npos) << r.status << " " << r.diagnostic << "\n" << en;
  EXPECT_TRUE(is_valid_utf8(ja));
  EXPECT_EQ(en.find_first_of("\r\n"), std::string::npos);
}

TEST(ExplainFailure, AddressProblems) {
  expect_explains(rcpt("5.1.1", "550 5.1.1 No such user"), "存在しません", "does not exist");
  expect_explains(rcpt("5.1.1", "550 5.1.1 No such user"), "つづりを確認", "Check the spelling");
  expect_explains(rcpt("5.1.2", "Host or domain name not found"), "@より後の部分",
                  "domain (the part after the @) does not exist");
  expect_explains(rcpt("5.1.10", "556 5.1.10 null MX"), "null MX", "accepts no mail at all");
  expect_explains(rcpt("5.1.3", "501 5.1.3 Bad address syntax"), "書き方が正しくない",
                  "not written in a valid form");
  expect_explains(rcpt("5.2.1", "550 5.2.1 The email account that you tried to reach is disabled"),
                  "停止されていて", "has been disabled");
  expect_explains(rcpt("5.7.13", "550 5.7.13 User account disabled"), "停止されていて",
                  "has been disabled");
}

TEST(ExplainFailure, MailboxAndSize) {
  expect_explains(rcpt("5.2.2", "552 5.2.2 Mailbox full"), "容量いっぱい", "mailbox is full");
  expect_explains(rcpt("5.2.2", "552 5.2.2 Mailbox full"), "あなたの側の問題ではありません",
                  "not a problem on your side");
  for (const char* code : {"5.2.3", "5.3.4"}) {
    DsnRecipient r = rcpt(code, "552 5.3.4 Message size exceeds fixed limit");
    expect_explains(r, "大きすぎる", "too large");
    expect_explains(r, "20 MB", "20 MB");
    expect_explains(r, "Mail Drop", "Mail Drop");
  }
  // The configured limit is the one named.
  std::string en = explain_failure(rcpt("5.3.4", ""), "en", 10 * 1024 * 1024);
  EXPECT_NE(en.find("over 10 MB"), std::string::npos) << en;
}

TEST(ExplainFailure, NetworkAndRouting) {
  expect_explains(rcpt("5.4.1", "Connection refused"), "長い時間つながらなかった",
                  "could not be reached for a long time");
  expect_explains(rcpt("4.4.1", "Connection timed out", "delayed"), "つながりません",
                  "cannot be reached");
  expect_explains(rcpt("4.4.3", "Temporary DNS failure", "delayed"), "DNS", "looked up in DNS");
  expect_explains(rcpt("5.4.4", "Unable to route"), "@より後", "after the @");
  expect_explains(rcpt("5.4.6", "554 5.4.6 Too many hops"), "ループ", "forwarding loop");
  expect_explains(rcpt("5.4.7", "Delivery time expired"), "期限までに届けられませんでした",
                  "before the time limit");
  expect_explains(rcpt("5.5.3", "452 5.5.3 Too many recipients"), "宛先の数が多すぎる",
                  "too many recipients");
  expect_explains(rcpt("5.5.2", "500 5.5.2 Syntax error"), "SMTP", "SMTP protocol");
}

TEST(ExplainFailure, PolicyAndAuthentication) {
  expect_explains(rcpt("5.7.1", "550 5.7.1 Message rejected as spam"), "迷惑メール",
                  "judged to be spam");
  expect_explains(rcpt("5.7.1", "554 5.7.1 <x@example.net>: Relay access denied"),
                  "宛先のドメインのメールを扱っていない", "does not handle mail for");
  expect_explains(rcpt("5.7.1", "550 5.7.1 Unauthenticated email is not accepted (DMARC)"),
                  "SPF・DKIM・DMARC", "SPF, DKIM or DMARC");
  expect_explains(rcpt("5.7.26",
                       "550 5.7.26 This mail has been blocked because the sender is "
                       "unauthenticated."),
                  "送信者の認証に失敗", "sender authentication with SPF, DKIM or DMARC failed");
  expect_explains(rcpt("5.7.23", "550 5.7.23 SPF validation failed"), "SPF", "SPF");
  expect_explains(rcpt("5.7.25",
                       "550 5.7.25 The IP address sending this message does not have "
                       "a PTR record"),
                  "逆引き", "reverse DNS (PTR)");
  expect_explains(rcpt("5.7.10", "REQUIRETLS: the MX does not offer STARTTLS"), "REQUIRETLS",
                  "REQUIRETLS");
  expect_explains(rcpt("5.7.10", ""), "暗号化必須の指定を外して", "without the \"require");
  expect_explains(rcpt("4.7.5", "certificate verification failed (MTA-STS)", "delayed"),
                  "暗号化接続(TLS)", "encrypted (TLS) connection");
  expect_explains(rcpt("4.7.1", "451 4.7.1 Greylisted, try again in 5 minutes", "delayed"),
                  "グレーリスト", "greylisting");
}

TEST(ExplainFailure, GenericStatusesUseTheReplyText) {
  expect_explains(rcpt("5.0.0", "550 5.0.0 User unknown"), "存在しません", "does not exist");
  expect_explains(rcpt("", "550 Requested action not taken: mailbox unavailable"), "存在しません",
                  "does not exist");
  expect_explains(rcpt("", "552 Message size exceeds fixed maximum message size"), "大きすぎる",
                  "too large");
  expect_explains(rcpt("", "550 5.5.0 Mailbox quota exceeded"), "容量いっぱい", "mailbox is full");
  expect_explains(rcpt("", "554 Service unavailable; client host blocked using zen.spamhaus.org"),
                  "迷惑メール", "spam");
  expect_explains(rcpt("", "452 4.2.2 Over quota", ""), "まだ届けられていません",
                  "has not been delivered yet");
  // Nothing recognisable: the generic sentence, pointing at the reply when there is one.
  expect_explains(rcpt("5.0.0", "550 5.0.0 computer says no"), "受け付けませんでした",
                  "did not accept the message. The reason is in its reply");
  std::string en = explain_failure(rcpt("5.0.0", ""), "en");
  EXPECT_EQ(en.find("reason is in its reply"), std::string::npos) << en;
}

TEST(ExplainFailure, DelayedWordingDiffersFromFailed) {
  DsnRecipient failed = rcpt("4.2.2", "452 4.2.2 Mailbox full", "failed");
  DsnRecipient delayed = rcpt("4.2.2", "452 4.2.2 Mailbox full", "delayed");
  delayed.retry_until = kArrival + 5 * 86400;
  std::string fj = explain_failure(failed, "ja"), dj = explain_failure(delayed, "ja");
  std::string fe = explain_failure(failed, "en"), de = explain_failure(delayed, "en");
  EXPECT_NE(fj, dj);
  EXPECT_NE(fe, de);
  EXPECT_EQ(fe.find("nothing you need to do yet"), std::string::npos) << fe;
  EXPECT_NE(de.find("nothing you need to do yet"), std::string::npos) << de;
  EXPECT_NE(de.find("until Mon, 24 Nov 2025 16:00 UTC"), std::string::npos) << de;
  EXPECT_NE(dj.find("今は何もする必要はありません"), std::string::npos) << dj;
  EXPECT_NE(dj.find("2025年11月25日 01:00(日本時間)"), std::string::npos) << dj;
  EXPECT_NE(fj.find("送り直してください"), std::string::npos) << fj;
  // Same status, Japanese and English differ in language only.
  EXPECT_FALSE(is_valid_utf8(fj) && fj == fe);
}

}  // namespace
}  // namespace tegami::queue
