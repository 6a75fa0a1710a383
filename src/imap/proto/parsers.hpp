// Internal: one parse function per command family (RFC 9051 §6; see each .cpp for its RFCs).
#pragma once

#include "imap/proto/command.hpp"
#include "imap/proto/reader.hpp"

namespace tegami::imap::proto::detail {

// Each parses the arguments after "<tag> [UID ]<COMMAND>" (the reader is positioned right after
// the command name) up to and including the end of the command, fills cmd.args and returns
// false with the reader's error set on failure.
bool parse_authenticate(Reader& r, Command& cmd);
bool parse_login(Reader& r, Command& cmd);
bool parse_enable(Reader& r, Command& cmd);
bool parse_id(Reader& r, Command& cmd);
bool parse_compress(Reader& r, Command& cmd);
bool parse_getquota(Reader& r, Command& cmd);
bool parse_setquota(Reader& r, Command& cmd);

bool parse_select(Reader& r, Command& cmd);
bool parse_create(Reader& r, Command& cmd);
bool parse_mailbox_only(Reader& r, Command& cmd);  // DELETE SUBSCRIBE UNSUBSCRIBE GETQUOTAROOT
bool parse_rename(Reader& r, Command& cmd);
bool parse_list(Reader& r, Command& cmd);
bool parse_lsub(Reader& r, Command& cmd);
bool parse_status(Reader& r, Command& cmd);
bool parse_append(Reader& r, Command& cmd);

bool parse_search(Reader& r, Command& cmd);
bool parse_sort(Reader& r, Command& cmd);
bool parse_thread(Reader& r, Command& cmd);
bool parse_esearch(Reader& r, Command& cmd);

bool parse_fetch(Reader& r, Command& cmd);
bool parse_store(Reader& r, Command& cmd);
bool parse_copy(Reader& r, Command& cmd);  // COPY MOVE
bool parse_expunge(Reader& r, Command& cmd);
bool parse_notify(Reader& r, Command& cmd);
bool parse_cancelupdate(Reader& r, Command& cmd);

// One fetch-att (RFC 9051 §9; macros are not fetch-atts), shared by FETCH and NOTIFY.
bool parse_fetch_att(Reader& r, FetchAtt& a);

// Shared by SEARCH / SORT / THREAD / ESEARCH.
bool parse_search_return(Reader& r, SearchReturn& ret);
bool parse_search_program(Reader& r, SearchArgs& args, bool charset_required);

}  // namespace tegami::imap::proto::detail
