// RDATA decoding; see rdata.hpp for the RFC sections.
#include "dns/rdata.hpp"

#include <arpa/inet.h>

#include "base/strings.hpp"

namespace tegami::dns {
namespace {

// Reads an uncompressed name starting at `pos`; advances `pos` past it.
std::optional<std::string> read_name(std::string_view d, size_t& pos) {
  std::string out;
  for (int labels = 0; labels < 128; ++labels) {
    if (pos >= d.size()) return std::nullopt;
    auto len = static_cast<unsigned char>(d[pos++]);
    if (len == 0) {
      if (out.size() > 253) return std::nullopt;
      return ascii_lower(out);
    }
    if (len > 63 || pos + len > d.size()) return std::nullopt;  // pointer or overrun
    if (!out.empty()) out += '.';
    out.append(d.substr(pos, len));
    pos += len;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> decode_txt(std::string_view rdata) {
  std::string out;
  size_t pos = 0;
  while (pos < rdata.size()) {
    auto len = static_cast<unsigned char>(rdata[pos++]);
    if (pos + len > rdata.size()) return std::nullopt;
    out.append(rdata.substr(pos, len));
    pos += len;
  }
  return out;
}

std::optional<MxRecord> decode_mx(std::string_view rdata) {
  if (rdata.size() < 3) return std::nullopt;
  MxRecord mx;
  mx.preference = static_cast<uint16_t>((static_cast<unsigned char>(rdata[0]) << 8) |
                                        static_cast<unsigned char>(rdata[1]));
  size_t pos = 2;
  auto host = read_name(rdata, pos);
  if (!host || pos != rdata.size()) return std::nullopt;
  mx.host = std::move(*host);
  return mx;
}

std::optional<std::string> decode_a(std::string_view rdata) {
  if (rdata.size() != 4) return std::nullopt;
  char buf[INET_ADDRSTRLEN];
  if (!inet_ntop(AF_INET, rdata.data(), buf, sizeof buf)) return std::nullopt;
  return std::string(buf);
}

std::optional<std::string> decode_aaaa(std::string_view rdata) {
  if (rdata.size() != 16) return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  if (!inet_ntop(AF_INET6, rdata.data(), buf, sizeof buf)) return std::nullopt;
  return std::string(buf);
}

std::optional<TlsaRecord> decode_tlsa(std::string_view rdata) {
  if (rdata.size() < 3) return std::nullopt;
  TlsaRecord t;
  t.usage = static_cast<uint8_t>(rdata[0]);
  t.selector = static_cast<uint8_t>(rdata[1]);
  t.matching_type = static_cast<uint8_t>(rdata[2]);
  t.data = std::string(rdata.substr(3));
  return t;
}

std::optional<std::string> decode_name_rdata(std::string_view rdata) {
  size_t pos = 0;
  auto name = read_name(rdata, pos);
  if (!name || pos != rdata.size()) return std::nullopt;
  return name;
}

}  // namespace tegami::dns
