// THREAD algorithms of RFC 5256 §3 (ORDEREDSUBJECT and REFERENCES), pure. Input: the messages
// that matched the search criteria, in mailbox (sequence) order; output: the thread-lists of
// the THREAD response (RFC 5256 §4 `thread-list`), e.g. "(2)(3 6 (4 23)(44 7 96))", empty when
// there are no messages.
#pragma once

#include <string>
#include <vector>

#include "imap/server/sort_keys.hpp"

namespace tegami::imap::server {

std::string thread_orderedsubject(const std::vector<ThreadRecord>& messages);
std::string thread_references(const std::vector<ThreadRecord>& messages);

}  // namespace tegami::imap::server
