// Large message bodies as files: data_dir/blobs/<hash[0:2]>/<hash>, written to a temporary
// name, fsynced, renamed, and the directory fsynced, so a name that exists is always complete
// and durable (README.md, "Durability").
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tegami::store::sqlite {

// The Error for errno after a failed system call (kTemporary for a full disk or quota).
Error sys_error(const std::string& what);
Status fsync_dir(const std::string& dir);
// mkdir that fsyncs the parent when it created the folder.
Status ensure_dir(const std::string& dir);

// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

class BlobFiles {
 public:
  explicit BlobFiles(std::string root) : root_(std::move(root)) {}

  // Creates the root folder (and fsyncs its parent) if missing.
  Status init();
  const std::string& root() const { return root_; }
  std::string path_for(std::string_view hash) const;
  bool exists(std::string_view hash) const;
  // Writes `data` durably under the name `hash` (replacing any file of that name, whose content
  // is the same by construction).
  Status write(std::string_view hash, std::string_view data);
  Result<std::string> read(std::string_view hash, int64_t expected_size) const;
  // Unlinks the file (no error when missing). Not fsynced: a file that survives a crash is an
  // orphan that cleanup() removes.
  void remove(std::string_view hash);
  // Removes temporary files, and final files for which `referenced(hash)` is false.
  // Returns the number of files removed.
  int cleanup(const std::function<bool(std::string_view hash)>& referenced);

 private:
  std::string root_;
};

}  // namespace tegami::store::sqlite
