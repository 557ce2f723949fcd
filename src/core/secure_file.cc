#include "mamori/core/secure_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

#include "mamori/core/crypto.h"

namespace mamori {
namespace {

namespace fs = std::filesystem;

// Closes a descriptor on scope exit (error paths included).
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

fs::path parentOrDot(const fs::path& p) {
  fs::path parent = p.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

}  // namespace

std::string errnoText(int err) {
  return std::error_code(err, std::generic_category()).message();
}

Result<void> fsyncFile(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return makeError("cannot open " + path.string() + ": " + errnoText(errno));
  FdCloser closer(fd);
  if (::fsync(fd) != 0) return makeError("cannot fsync " + path.string() + ": " + errnoText(errno));
  return {};
}

Result<void> fsyncDirectory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return makeError("cannot open directory " + dir.string() + ": " + errnoText(errno));
  FdCloser closer(fd);
  if (::fsync(fd) != 0) {
    return makeError("cannot fsync directory " + dir.string() + ": " + errnoText(errno));
  }
  return {};
}

Result<void> createPrivateDirectories(const fs::path& dir) {
  fs::path current;
  for (const fs::path& part : dir) {
    current /= part;
    if (part == "/" || part == "." || part == "..") continue;
    if (::mkdir(current.c_str(), 0700) == 0) {
      if (auto r = fsyncDirectory(parentOrDot(current)); !r) return r;
      continue;
    }
    const int err = errno;
    struct stat st {};
    if (err == EEXIST && ::stat(current.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
    return makeError("cannot create directory " + current.string() + ": " + errnoText(err));
  }
  return {};
}

Result<void> writeNewPrivateFile(const fs::path& path, std::span<const uint8_t> bytes) {
  const fs::path dir = parentOrDot(path);
  std::array<uint8_t, 8> nonce{};
  randomBytes(nonce);
  const fs::path tmp = dir / ("." + path.filename().string() + ".tmp-" + toHex(nonce));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return makeError("cannot create " + tmp.string() + ": " + errnoText(errno));
  {
    FdCloser closer(fd);
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return makeError("cannot write " + tmp.string() + ": " + errnoText(err));
      }
      done += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      return makeError("cannot fsync " + tmp.string() + ": " + errnoText(err));
    }
  }
  // RENAME_NOREPLACE makes "create only if absent" atomic; link() is the fallback for file
  // systems without renameat2 support and has the same no-replace semantics.
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
    int err = errno;
    if (err == EINVAL || err == ENOSYS) {
      err = ::link(tmp.c_str(), path.c_str()) == 0 ? 0 : errno;
    }
    ::unlink(tmp.c_str());
    if (err == EEXIST) return makeError("refusing to overwrite existing file " + path.string());
    if (err != 0) return makeError("cannot create " + path.string() + ": " + errnoText(err));
  }
  return fsyncDirectory(dir);
}

Result<std::string> readWholeFile(const fs::path& path, size_t maxBytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return makeError("cannot open " + path.string() + ": " + errnoText(errno));
  FdCloser closer(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return makeError("cannot stat " + path.string() + ": " + errnoText(errno));
  }
  if (st.st_size < 0 || static_cast<uint64_t>(st.st_size) > maxBytes) {
    return makeError(path.string() + " is too large (" + std::to_string(st.st_size) +
                     " bytes, limit " + std::to_string(maxBytes) + ")");
  }
  std::string out;
  out.reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return makeError("cannot read " + path.string() + ": " + errnoText(errno));
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > maxBytes) {
      return makeError(path.string() + " is too large (limit " + std::to_string(maxBytes) +
                       " bytes)");
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace mamori
