// Durable file helpers: private key files (signing, pseudonymizer), the ledger, and outputs that
// must survive a crash once acknowledged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "mamori/core/result.h"

namespace mamori {

// Creates `dir` and any missing parents with mode 0700 (existing directories are left as they
// are) and fsyncs the parent of every directory it creates, so the new entries survive a crash.
Result<void> createPrivateDirectories(const std::filesystem::path& dir);

// Writes `bytes` to a new file at `path` with mode 0600: temp file in the same directory, fsync,
// then an atomic no-replace rename and a directory fsync. Readers never see a partial file, and an
// existing file at `path` is never overwritten (an error instead).
Result<void> writeNewPrivateFile(const std::filesystem::path& path, std::span<const uint8_t> bytes);

// Reads a whole file; a file larger than `maxBytes` is an error (key files are tiny, so a huge
// one is a mistake, not something to load into memory). Errors name the path.
Result<std::string> readWholeFile(const std::filesystem::path& path, size_t maxBytes);

// fsync on a file that was written through another handle (e.g. a std::ofstream now closed).
Result<void> fsyncFile(const std::filesystem::path& path);

// fsync on a directory, making creations/renames inside it durable.
Result<void> fsyncDirectory(const std::filesystem::path& dir);

// strerror(errno) as a std::string (thread-safe).
std::string errnoText(int err);

}  // namespace mamori
