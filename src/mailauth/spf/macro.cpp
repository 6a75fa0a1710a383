// SPF macro expansion; see macro.hpp for the RFC 7208 sections.
#include "mailauth/spf/macro.hpp"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <vector>

#include "base/strings.hpp"

namespace tegami::spf {
namespace {

std::string dotted_ip(const IpAddress& ip) {
  if (!ip.v6) return ip_to_string(ip);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < 16; ++i) {
    if (i) out += '.';
    out += kHex[ip.bytes[i] >> 4];
    out += '.';
    out += kHex[ip.bytes[i] & 0xf];
  }
  return out;
}

std::string url_escape(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

Error bad(std::string_view spec) {
  return make_error(Errc::kInvalidData,
                    "SPF macro: malformed \"" + std::string(spec.substr(0, 100)) + "\"");
}

}  // namespace

Result<std::string> expand_macros(std::string_view spec, const MacroContext& ctx,
                                  bool explanation) {
  if (!valid_macro_string(spec, explanation)) return bad(spec);
  std::string out;
  for (size_t i = 0; i < spec.size();) {
    char c = spec[i];
    if (c != '%') {
      out += c;
      ++i;
      continue;
    }
    char n = spec[i + 1];  // valid_macro_string guarantees the shape
    if (n == '%' || n == '_' || n == '-') {
      out += n == '%' ? "%" : n == '_' ? " " : "%20";
      i += 2;
      continue;
    }
    size_t j = i + 2;
    char letter = spec[j++];
    bool upper = letter >= 'A' && letter <= 'Z';
    char l = upper ? static_cast<char>(letter - 'A' + 'a') : letter;
    size_t digits = 0, keep = 0;
    while (spec[j] >= '0' && spec[j] <= '9') {
      keep = keep * 10 + static_cast<size_t>(spec[j] - '0');
      ++j;
      ++digits;
    }
    bool reverse = false;
    if (spec[j] == 'r' || spec[j] == 'R') {
      reverse = true;
      ++j;
    }
    std::string delims;
    while (spec[j] != '}') delims += spec[j++];
    i = j + 1;
    if (delims.empty()) delims = ".";

    std::string value;
    switch (l) {
      case 's':
        value = ctx.sender;
        break;
      case 'l':
        value = ctx.local_part;
        break;
      case 'o':
        value = ctx.sender_domain;
        break;
      case 'd':
        value = ctx.domain;
        break;
      case 'i':
        value = dotted_ip(ctx.ip);
        break;
      case 'p': {
        if (!ctx.validated_name) {
          value = "unknown";
          break;
        }
        auto name = ctx.validated_name();
        if (!name) return name.error();
        value = std::move(*name);
        break;
      }
      case 'v':
        value = ctx.ip.v6 ? "ip6" : "in-addr";
        break;
      case 'h':
        value = ctx.helo;
        break;
      case 'c':
        value = ip_to_string(ctx.ip);
        break;
      case 'r':
        value = ctx.receiver;
        break;
      case 't':
        value = std::to_string(static_cast<long long>(std::time(nullptr)));
        break;
      default:
        return bad(spec);
    }
    if (digits > 0 || reverse || delims != ".") {
      std::vector<std::string_view> parts;
      size_t start = 0;
      for (size_t k = 0; k <= value.size(); ++k) {
        if (k == value.size() || delims.find(value[k]) != std::string::npos) {
          parts.push_back(std::string_view(value).substr(start, k - start));
          start = k + 1;
        }
      }
      if (reverse) std::reverse(parts.begin(), parts.end());
      size_t first = (digits > 0 && keep < parts.size()) ? parts.size() - keep : 0;
      std::string joined;
      for (size_t k = first; k < parts.size(); ++k) {
        if (k > first) joined += '.';
        joined.append(parts[k]);
      }
      value = std::move(joined);
    }
    out += upper ? url_escape(value) : value;
  }
  return out;
}

Result<std::string> expand_domain(std::string_view spec, const MacroContext& ctx) {
  auto r = expand_macros(spec, ctx);
  if (!r) return r;
  std::string d = std::move(*r);
  if (!d.empty() && d.back() == '.') d.pop_back();
  while (d.size() > 253) {
    size_t dot = d.find('.');
    if (dot == std::string::npos) return make_error(Errc::kInvalidData, "SPF: domain too long");
    d.erase(0, dot + 1);
  }
  return d;
}

}  // namespace tegami::spf
