// libFuzzer: what a remote SMTP server sends back. The input is split into lines and fed to
// ReplyReader (with small limits so that they are reached); each complete reply goes through
// parse_ehlo, enhanced_prefix and str(). Nothing may crash, and limits must hold.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "smtp/client/protocol.hpp"

using namespace tegami::smtp::client;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  ReplyReader r(512, 8);
  while (!in.empty()) {
    size_t nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto st = r.add(line);
    if (r.bytes() > 512 + line.size() + 2) std::abort();
    if (st == ReplyReader::State::kError) {
      if (r.error().empty()) std::abort();
      r = ReplyReader(512, 8);
      continue;
    }
    if (st == ReplyReader::State::kDone) {
      Reply rep = r.take();
      if (rep.code < 200 || rep.code > 599) std::abort();
      Extensions e = parse_ehlo(rep);
      (void)e;
      (void)enhanced_prefix(rep.text, rep.code / 100);
      (void)rep.str();
      r = ReplyReader(512, 8);
    }
  }
  return 0;
}
