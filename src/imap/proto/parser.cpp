// CommandParser: assembles a command from lines and literals and dispatches to the per-command
// parsers. RFC 9051 §2.2.1 (client commands, tags), §4.3 (literals), §7.5 (continuation),
// RFC 7888 §3-§4 (LITERAL+ / LITERAL-), RFC 3516 §4.2 (literal8), RFC 2177 (IDLE / DONE).
#include <array>
#include <optional>

#include "base/strings.hpp"
#include "imap/proto/command.hpp"
#include "imap/proto/parsers.hpp"
#include "imap/proto/reader.hpp"

namespace tegami::imap::proto {

using detail::LiteralData;
using detail::Reader;

namespace {

using ParseFn = bool (*)(Reader&, Command&);

struct CommandInfo {
  const char* name;
  CommandType type;
  ParseFn parse;  // nullptr: no arguments
  bool uid_ok;
};

constexpr std::array kCommands = {
    CommandInfo{"CAPABILITY", CommandType::kCapability, nullptr, false},
    CommandInfo{"NOOP", CommandType::kNoop, nullptr, false},
    CommandInfo{"LOGOUT", CommandType::kLogout, nullptr, false},
    CommandInfo{"STARTTLS", CommandType::kStartTls, nullptr, false},
    CommandInfo{"AUTHENTICATE", CommandType::kAuthenticate, detail::parse_authenticate, false},
    CommandInfo{"LOGIN", CommandType::kLogin, detail::parse_login, false},
    CommandInfo{"ENABLE", CommandType::kEnable, detail::parse_enable, false},
    CommandInfo{"SELECT", CommandType::kSelect, detail::parse_select, false},
    CommandInfo{"EXAMINE", CommandType::kExamine, detail::parse_select, false},
    CommandInfo{"CREATE", CommandType::kCreate, detail::parse_create, false},
    CommandInfo{"DELETE", CommandType::kDelete, detail::parse_mailbox_only, false},
    CommandInfo{"RENAME", CommandType::kRename, detail::parse_rename, false},
    CommandInfo{"SUBSCRIBE", CommandType::kSubscribe, detail::parse_mailbox_only, false},
    CommandInfo{"UNSUBSCRIBE", CommandType::kUnsubscribe, detail::parse_mailbox_only, false},
    CommandInfo{"LIST", CommandType::kList, detail::parse_list, false},
    CommandInfo{"LSUB", CommandType::kLsub, detail::parse_lsub, false},
    CommandInfo{"NAMESPACE", CommandType::kNamespace, nullptr, false},
    CommandInfo{"STATUS", CommandType::kStatus, detail::parse_status, false},
    CommandInfo{"APPEND", CommandType::kAppend, detail::parse_append, false},
    CommandInfo{"IDLE", CommandType::kIdle, nullptr, false},
    CommandInfo{"CHECK", CommandType::kCheck, nullptr, false},
    CommandInfo{"CLOSE", CommandType::kClose, nullptr, false},
    CommandInfo{"UNSELECT", CommandType::kUnselect, nullptr, false},
    CommandInfo{"EXPUNGE", CommandType::kExpunge, detail::parse_expunge, true},
    CommandInfo{"SEARCH", CommandType::kSearch, detail::parse_search, true},
    CommandInfo{"FETCH", CommandType::kFetch, detail::parse_fetch, true},
    CommandInfo{"STORE", CommandType::kStore, detail::parse_store, true},
    CommandInfo{"COPY", CommandType::kCopy, detail::parse_copy, true},
    CommandInfo{"MOVE", CommandType::kMove, detail::parse_copy, true},
    CommandInfo{"SORT", CommandType::kSort, detail::parse_sort, true},
    CommandInfo{"THREAD", CommandType::kThread, detail::parse_thread, true},
    CommandInfo{"ESEARCH", CommandType::kEsearch, detail::parse_esearch, false},
    CommandInfo{"ID", CommandType::kId, detail::parse_id, false},
    CommandInfo{"GETQUOTA", CommandType::kGetQuota, detail::parse_getquota, false},
    CommandInfo{"GETQUOTAROOT", CommandType::kGetQuotaRoot, detail::parse_mailbox_only, false},
    CommandInfo{"SETQUOTA", CommandType::kSetQuota, detail::parse_setquota, false},
    CommandInfo{"UNAUTHENTICATE", CommandType::kUnauthenticate, nullptr, false},
    CommandInfo{"COMPRESS", CommandType::kCompress, detail::parse_compress, false},
    CommandInfo{"NOTIFY", CommandType::kNotify, detail::parse_notify, false},
    CommandInfo{"CANCELUPDATE", CommandType::kCancelUpdate, detail::parse_cancelupdate, false},
};

const CommandInfo* find_command(std::string_view upper) {
  for (const auto& c : kCommands) {
    if (upper == c.name) {
      return &c;
    }
  }
  return nullptr;
}

// The first words of a command: tag, command name, and whether it is "UID <name>".
struct Head {
  std::string tag;
  std::string name;  // upper-cased, the real command after UID
  bool uid = false;
  size_t args_pos = 0;  // offset in the first line right after the command name
};

Head scan_head(std::string_view line) {
  Head h;
  size_t i = 0;
  while (i < line.size() && detail::is_tag_char(static_cast<unsigned char>(line[i]))) {
    ++i;
  }
  if (i == 0 || i >= line.size() || line[i] != ' ') {
    return h;  // no usable tag
  }
  h.tag.assign(line.substr(0, i));
  size_t s = ++i;
  while (i < line.size() && detail::is_atom_char(static_cast<unsigned char>(line[i]))) {
    ++i;
  }
  h.name = ascii_upper(line.substr(s, i - s));
  if (h.name == "UID" && i < line.size() && line[i] == ' ') {
    size_t s2 = ++i;
    while (i < line.size() && detail::is_atom_char(static_cast<unsigned char>(line[i]))) {
      ++i;
    }
    h.name = ascii_upper(line.substr(s2, i - s2));
    h.uid = true;
  }
  h.args_pos = i;
  return h;
}

// A literal announcement at the end of a line: "{n}", "{n+}", "~{n}", "~{n+}", outside quotes.
struct Marker {
  bool found = false;
  bool valid = false;  // digits fit in uint64
  size_t pos = 0;      // offset of "{" or "~"
  uint64_t size = 0;
  bool sync = true;
  bool binary = false;
};

Marker find_marker(std::string_view line) {
  Marker m;
  if (line.empty() || line.back() != '}') {
    return m;
  }
  bool in_quote = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (in_quote) {
      if (c == '\\' && i + 1 < line.size()) {
        ++i;
      } else if (c == '"') {
        in_quote = false;
      }
    } else if (c == '"') {
      in_quote = true;
    }
  }
  if (in_quote) {
    return m;
  }
  size_t open = line.rfind('{');
  if (open == std::string_view::npos) {
    return m;
  }
  std::string_view inner = line.substr(open + 1, line.size() - open - 2);
  if (!inner.empty() && inner.back() == '+') {
    m.sync = false;
    inner.remove_suffix(1);
  }
  if (inner.empty()) {
    return m;
  }
  for (char c : inner) {
    if (c < '0' || c > '9') {
      return m;
    }
  }
  m.found = true;
  m.binary = open > 0 && line[open - 1] == '~';
  m.pos = m.binary ? open - 1 : open;
  auto v = parse_u64(inner);
  m.valid = v.has_value();
  m.size = v.value_or(0);
  return m;
}

ParseError make_error(const Head& h, std::string text,
                      ParseError::Kind kind = ParseError::Kind::kBad) {
  ParseError e;
  e.kind = kind;
  e.tag = h.tag;
  e.command = h.name;
  e.text = h.name.empty() ? std::move(text) : "Error in IMAP command " + h.name + ": " + text;
  return e;
}

ParseResult parse_assembled(const std::vector<std::string>& lines,
                            const std::vector<size_t>& markers, std::vector<LiteralData>& literals,
                            const Limits& limits) {
  Reader r(lines, markers, literals, limits);
  Head h = scan_head(lines.front());
  ParseError err;
  Command cmd;
  // Tag.
  std::string tag;
  while (r.peek() >= 0 && detail::is_tag_char(static_cast<unsigned char>(r.peek()))) {
    tag += static_cast<char>(r.peek());
    r.eat(static_cast<char>(r.peek()));
  }
  if (tag.empty()) {
    err.text = r.at_end() ? "Empty command line" : "Invalid or missing tag";
    return err;
  }
  if (!r.eat(' ')) {
    if (r.at_end()) {
      err.tag = tag;
      err.text = "Missing command";
    } else {
      err.text = "Invalid tag";  // the tag is not known: answer untagged
    }
    return err;
  }
  err.tag = tag;
  cmd.tag = tag;
  std::string name;
  if (!r.atom_upper(name)) {
    err.text = "Missing or invalid command name";
    return err;
  }
  if (name == "UID") {
    cmd.uid = true;
    if (!r.eat(' ') || !r.atom_upper(name)) {
      err.command = "UID";
      err.text = "Error in IMAP command UID: missing command after UID";
      return err;
    }
  }
  err.command = name;
  const CommandInfo* info = find_command(name);
  if (!info) {
    err.text = "Unknown command " + detail::printable(name, 30);
    return err;
  }
  if (cmd.uid && !info->uid_ok) {
    err.text = "Error in IMAP command UID: UID " + name + " is not a valid command";
    return err;
  }
  cmd.type = info->type;
  bool ok = info->parse ? info->parse(r, cmd) : r.end();
  if (!ok) {
    (void)h;
    err.text = "Error in IMAP command " + (cmd.uid ? "UID " + name : name) + ": " +
               (r.error().empty() ? std::string("syntax error") : r.error());
    return err;
  }
  return cmd;
}

}  // namespace

struct CommandParser::State {
  Limits limits;
  std::vector<std::string> lines;
  std::vector<size_t> markers;
  std::vector<LiteralData> literals;
  Head head;
  uint64_t total = 0;  // bytes excluding APPEND message literals
  size_t append_messages = 0;
  uint64_t append_total = 0;  // bytes of APPEND message literals
  bool awaiting_literal = false;
  NeedLiteral pending;
  // Set when the command has failed but its non-synchronizing literals are still arriving:
  // they are discarded and this is the answer once the command ends.
  std::optional<ParseError> doomed;

  void clear() {
    lines.clear();
    markers.clear();
    literals.clear();
    head = Head{};
    total = 0;
    append_messages = 0;
    append_total = 0;
    awaiting_literal = false;
    doomed.reset();
    pending = NeedLiteral{};
  }
};

CommandParser::CommandParser(Limits limits) : st_(std::make_unique<State>()) {
  st_->limits = limits;
}
CommandParser::~CommandParser() = default;
CommandParser::CommandParser(CommandParser&&) noexcept = default;
CommandParser& CommandParser::operator=(CommandParser&&) noexcept = default;

const Limits& CommandParser::limits() const { return st_->limits; }
void CommandParser::set_limits(const Limits& limits) { st_->limits = limits; }
bool CommandParser::in_command() const { return !st_->lines.empty(); }
void CommandParser::reset() { st_->clear(); }

ParseResult CommandParser::feed_line(std::string_view line) {
  State& s = *st_;
  const Limits& lim = s.limits;
  if (s.awaiting_literal) {
    // The server did not hand over the literal: a programming error on its side.
    ParseError e = make_error(s.head, "literal data expected");
    s.clear();
    e.close_connection = true;
    return e;
  }
  if (s.lines.empty()) {
    s.head = scan_head(line);
  }
  Marker m = find_marker(line);
  auto fail = [&](std::string text, ParseError::Kind kind = ParseError::Kind::kBad) {
    ParseError e = make_error(s.head, std::move(text), kind);
    // A refused non-synchronizing literal is already on its way: input is out of step.
    e.close_connection = m.found && !m.sync;
    s.clear();
    return e;
  };
  s.total += line.size() + 2;
  if (s.doomed) {
    // The rest of a failed command: drop further non-synchronizing literals; answer at its end
    // or at a synchronizing literal (the client waits for "+" and sees the answer instead).
    if (m.found && !m.sync && m.valid && m.size <= lim.max_discard_literal &&
        s.total <= lim.max_command_size) {
      s.lines.emplace_back();  // keeps in_command() true
      s.awaiting_literal = true;
      s.pending = NeedLiteral{m.size, false, m.binary, false, true};
      return s.pending;
    }
    ParseError e = *s.doomed;
    e.close_connection = m.found && !m.sync;
    s.clear();
    return e;
  }
  if (s.total > lim.max_command_size) {
    return fail("command too long");
  }
  if (!m.found) {
    s.lines.emplace_back(line);
    ParseResult res = parse_assembled(s.lines, s.markers, s.literals, lim);
    s.clear();
    return res;
  }
  if (s.lines.empty()) {
    // Refuse before the client sends literal data when the command cannot be valid anyway.
    if (s.head.tag.empty()) {
      return fail("Invalid or missing tag");
    }
    const CommandInfo* info = find_command(s.head.name);
    if (!info) {
      std::string text = "Unknown command " + detail::printable(s.head.name, 30);
      ParseError e = fail("");
      e.text = std::move(text);
      return e;
    }
    if (!info->parse || (s.head.uid && !info->uid_ok)) {
      return fail("unexpected literal");
    }
  }
  bool append_msg = false;
  if (s.head.name == "APPEND" && !s.head.uid) {
    // The first argument (the mailbox) may itself be a literal; every later literal is a
    // message (flags and date-time cannot be literals).
    bool mailbox_literal = false;
    if (s.lines.empty()) {
      std::string_view rest = line.substr(0, m.pos);
      rest = rest.substr(std::min(rest.size(), s.head.args_pos));
      mailbox_literal = trim(rest).empty();
    }
    append_msg = !mailbox_literal;
  }
  if (!m.valid) {
    return fail("literal size too large",
                append_msg ? ParseError::Kind::kTooBig : ParseError::Kind::kBad);
  }
  if (m.binary && !append_msg) {
    return fail("literal8 is only allowed for APPEND message data");
  }
  if (!m.sync && !lim.literal_plus && m.size > kLiteralMinusMax) {
    return fail("non-synchronizing literal larger than 4096 bytes (LITERAL-)",
                ParseError::Kind::kTooBig);
  }
  if (append_msg) {
    // A refused non-synchronizing message is already on its way: read and drop it (and the
    // rest of the command) when it is not huge, so that the connection stays usable.
    auto refuse = [&](std::string text, ParseError::Kind kind) -> ParseResult {
      if (m.sync || m.size > lim.max_discard_literal) {
        return fail(std::move(text), kind);
      }
      s.doomed = make_error(s.head, std::move(text), kind);
      s.lines.emplace_back();
      s.awaiting_literal = true;
      s.pending = NeedLiteral{m.size, false, m.binary, false, true};
      return s.pending;
    };
    if (m.size > lim.max_append_literal) {
      return refuse(
          "message too large (limit " + std::to_string(lim.max_append_literal) + " bytes)",
          ParseError::Kind::kTooBig);
    }
    if (++s.append_messages > lim.max_append_messages) {
      return refuse(
          "too many messages in one APPEND (limit " + std::to_string(lim.max_append_messages) + ")",
          ParseError::Kind::kBad);
    }
    s.append_total += m.size;
    if (s.append_total > lim.max_append_total) {
      return refuse("the messages together are too large (limit " +
                        std::to_string(lim.max_append_total) + " bytes); send fewer at once",
                    ParseError::Kind::kTooBig);
    }
  } else {
    if (m.size > lim.max_literal) {
      return fail("literal too large (limit " + std::to_string(lim.max_literal) + " bytes)");
    }
    s.total += m.size;
    if (s.total > lim.max_command_size) {
      return fail("command too long");
    }
  }
  if (s.lines.size() >= lim.max_items) {
    return fail("too many literals");
  }
  s.lines.emplace_back(line);
  s.markers.push_back(m.pos);
  s.awaiting_literal = true;
  s.pending = NeedLiteral{m.size, m.sync, m.binary, append_msg};
  return s.pending;
}

void CommandParser::feed_literal(std::string&& data) {
  State& s = *st_;
  if (!s.awaiting_literal) {
    return;
  }
  s.literals.push_back(LiteralData{std::move(data), s.pending.binary});
  s.awaiting_literal = false;
}

ParseResult parse_command_line(std::string_view line, const Limits& limits) {
  CommandParser p(limits);
  ParseResult r = p.feed_line(line);
  if (std::holds_alternative<NeedLiteral>(r)) {
    ParseError e;
    Head h = scan_head(line);
    e.tag = h.tag;
    e.command = h.name;
    e.text = "literals are not supported here";
    return e;
  }
  return r;
}

bool is_idle_done(std::string_view line) { return iequals(line, "DONE"); }

const char* command_name(CommandType t) {
  for (const auto& c : kCommands) {
    if (c.type == t) {
      return c.name;
    }
  }
  return "?";
}

}  // namespace tegami::imap::proto
