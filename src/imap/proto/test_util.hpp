// Test helpers for imap/proto tests: drive a CommandParser like the server does.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "imap/proto/command.hpp"

namespace tegami::imap::proto::testing {

// Feeds a wire transcript ("... {3}\r\nabc ...\r\n") through the parser: lines up to CRLF,
// literals of the announced size. Returns every result in order.
inline std::vector<ParseResult> run_wire(CommandParser& p, std::string_view wire) {
  std::vector<ParseResult> out;
  while (!wire.empty()) {
    size_t eol = wire.find("\r\n");
    std::string_view line = wire.substr(0, eol);
    wire.remove_prefix(eol == std::string_view::npos ? wire.size() : eol + 2);
    ParseResult r = p.feed_line(line);
    if (auto* need = std::get_if<NeedLiteral>(&r)) {
      size_t n = std::min<size_t>(need->size, wire.size());
      p.feed_literal(std::string(wire.substr(0, n)));
      wire.remove_prefix(n);
    }
    out.push_back(std::move(r));
  }
  return out;
}

// The single final result of a wire transcript holding one command.
inline ParseResult run_one(std::string_view wire, const Limits& lim = {}) {
  CommandParser p(lim);
  auto rs = run_wire(p, wire);
  if (rs.empty()) {
    return ParseError{};
  }
  return std::move(rs.back());
}

inline Command ok(std::string_view line, const Limits& lim = {}) {
  std::string wire(line);
  if (wire.size() < 2 || wire.substr(wire.size() - 2) != "\r\n") {
    wire += "\r\n";
  }
  ParseResult r = run_one(wire, lim);
  if (auto* e = std::get_if<ParseError>(&r)) {
    ADD_FAILURE() << "unexpected error for [" << line << "]: " << e->text;
    return Command{};
  }
  if (!std::holds_alternative<Command>(r)) {
    ADD_FAILURE() << "incomplete command for [" << line << "]";
    return Command{};
  }
  return std::get<Command>(std::move(r));
}

inline ParseError bad(std::string_view line, const Limits& lim = {}) {
  std::string wire(line);
  wire += "\r\n";
  ParseResult r = run_one(wire, lim);
  if (auto* e = std::get_if<ParseError>(&r)) {
    return *e;
  }
  ADD_FAILURE() << "expected an error for [" << line << "]";
  return ParseError{};
}

}  // namespace tegami::imap::proto::testing
