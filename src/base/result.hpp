// Result<T>: a value or an Error with a protocol-neutral code (DESIGN.md §5).
// Each protocol maps Errc to its wire codes in one place (imap/server/error_map.cpp,
// smtp/server/error_map.cpp).
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace tegami {

enum class Errc {
  kNotFound,
  kExists,
  kOverQuota,
  kTooBig,
  kLimit,
  kPerm,
  kInUse,
  kInvalidData,
  kTemporary,
  kInternal,
};

const char* errc_name(Errc c);

struct Error {
  Errc code = Errc::kInternal;
  std::string message;  // one sentence, safe to show to the account owner
};

inline Error make_error(Errc c, std::string msg) { return Error{c, std::move(msg)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T v) : v_(std::move(v)) {}      // NOLINT(google-explicit-constructor)
  Result(Error e) : v_(std::move(e)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }
  Errc code() const { return error().code; }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : err_(std::move(e)), ok_(false) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return err_;
  }
  Errc code() const { return err_.code; }

 private:
  Error err_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace tegami
