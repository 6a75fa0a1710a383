// Key files for DKIM signing domains and selectors (RFC 6376 §3.1, §3.6).
#include "mailauth/dkim/keystore.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <system_error>

#include "base/strings.hpp"

namespace tegami::mailauth::dkim {

namespace fs = std::filesystem;

namespace {

// <dir>/<domain>: the folder of one domain's keys (the caller has checked the name).
fs::path domain_folder(std::string_view dir, std::string_view domain) {
  return fs::path(dir) / ascii_lower(domain);
}

}  // namespace

Result<std::string> key_file_path(std::string_view dir, std::string_view domain,
                                  std::string_view selector) {
  if (!is_valid_domain(domain) || !is_valid_domain(selector))
    return make_error(Errc::kInvalidData, "bad DKIM domain or selector");
  return (domain_folder(dir, domain) / (ascii_lower(selector) + ".pem")).string();
}

Result<SigningKey> load_key(std::string_view dir, std::string_view domain,
                            std::string_view selector) {
  auto path = key_file_path(dir, domain, selector);
  if (!path) return path.error();
  auto key = PrivateKey::load(*path);
  if (!key) return key.error();
  return SigningKey{ascii_lower(domain), ascii_lower(selector), std::move(key).value()};
}

Result<SigningKey> load_or_create_key(std::string_view dir, std::string_view domain,
                                      std::string_view selector, KeyType type) {
  auto path = key_file_path(dir, domain, selector);
  if (!path) return path.error();
  std::error_code ec;
  if (fs::exists(*path, ec)) {
    auto k = load_key(dir, domain, selector);
    if (!k) return k.error();
    if (k->key.type() != type)
      return make_error(Errc::kExists, "selector " + std::string(selector) + " of " +
                                           std::string(domain) + " already holds a " +
                                           key_type_name(k->key.type()) + " key");
    return k;
  }
  fs::path folder = fs::path(*path).parent_path();
  fs::create_directories(folder, ec);
  if (ec)
    return make_error(Errc::kInternal, "cannot create " + folder.string() + ": " + ec.message());
  ::chmod(folder.c_str(), 0700);
  auto key = PrivateKey::generate(type);
  if (!key) return key.error();
  if (auto st = key->save(*path); !st) return st.error();
  return SigningKey{ascii_lower(domain), ascii_lower(selector), std::move(key).value()};
}

Result<std::vector<SigningKey>> load_domain_keys(std::string_view dir, std::string_view domain) {
  if (!is_valid_domain(domain)) return make_error(Errc::kInvalidData, "bad DKIM domain");
  fs::path folder = domain_folder(dir, domain);
  std::vector<std::string> selectors;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    fs::path p = it->path();
    if (p.extension() == ".pem" && is_valid_domain(p.stem().string()))
      selectors.push_back(p.stem().string());
  }
  std::sort(selectors.begin(), selectors.end());
  std::vector<SigningKey> out;
  for (const std::string& s : selectors) {
    auto k = load_key(dir, domain, s);
    if (!k) return k.error();
    out.push_back(std::move(k).value());
  }
  return out;
}

Result<std::vector<SigningKey>> ensure_domain_keys(std::string_view dir, std::string_view domain) {
  std::vector<SigningKey> out;
  auto ed = load_or_create_key(dir, domain, kEd25519Selector, KeyType::kEd25519);
  if (!ed) return ed.error();
  out.push_back(std::move(*ed));
  auto rsa = load_or_create_key(dir, domain, kRsaSelector, KeyType::kRsa);
  if (!rsa) return rsa.error();
  out.push_back(std::move(*rsa));
  return out;
}

bool has_domain_keys(std::string_view dir, std::string_view domain) {
  if (!is_valid_domain(domain)) return false;
  struct stat st {};
  return ::stat(domain_folder(dir, domain).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

namespace {

struct CachedKeys {
  std::shared_ptr<const std::vector<SigningKey>> keys;
  bool folder = false;  // the folder existed
  struct timespec mtime {};
  ino_t inode = 0;
  std::chrono::steady_clock::time_point loaded;
};

}  // namespace

Result<std::shared_ptr<const std::vector<SigningKey>>> cached_domain_keys(std::string_view dir,
                                                                          std::string_view domain) {
  if (!is_valid_domain(domain)) return make_error(Errc::kInvalidData, "bad DKIM domain");
  static std::mutex mu;
  static std::map<std::string, CachedKeys> cache;
  const std::string folder = domain_folder(dir, domain).string();
  struct stat st {};
  const bool exists = ::stat(folder.c_str(), &st) == 0;
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lk(mu);
    auto it = cache.find(folder);
    if (it != cache.end() && it->second.folder == exists &&
        now - it->second.loaded < std::chrono::minutes(1) &&
        (!exists ||
         (it->second.inode == st.st_ino && it->second.mtime.tv_sec == st.st_mtim.tv_sec &&
          it->second.mtime.tv_nsec == st.st_mtim.tv_nsec))) {
      return it->second.keys;
    }
  }
  CachedKeys c;
  c.folder = exists;
  c.loaded = now;
  if (exists) {
    c.mtime = st.st_mtim;
    c.inode = st.st_ino;
    auto keys = load_domain_keys(dir, domain);
    if (!keys) return keys.error();
    c.keys = std::make_shared<const std::vector<SigningKey>>(std::move(*keys));
  } else {
    c.keys = std::make_shared<const std::vector<SigningKey>>();
  }
  std::lock_guard lk(mu);
  cache[folder] = c;
  return c.keys;
}

}  // namespace tegami::mailauth::dkim
