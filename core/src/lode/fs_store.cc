// Filesystem object store (storage-and-policies.md §4.3, §4.7).
//
// Every put lands atomically: the bytes go to a temporary file in the target directory and are
// then hard-linked to the final name, which fails if the name exists. A crash therefore never
// leaves a half-written object at a final path, and nothing is overwritten. Only the pointer is
// replaced, by rename, under an exclusive flock on "<pointer>.lock".
//
// Durability is one syncfs(2) per barrier rather than an fsync per file and directory: a snapshot
// creates three directories and four files, which took eleven fsyncs; the committer needs two
// barriers (docs/lode-layout.md, "Durability"). With SyncMode::kNever there are none.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "lode/object_path.h"
#include "lode/random_name.h"
#include "lode/store_error.h"
#include "quarry/lode/store.h"

namespace quarry::lode {
namespace {

std::string ErrnoText(int err) {
  char buf[256];
  // GNU strerror_r: returns a pointer that may or may not be `buf`.
  const char* s = strerror_r(err, buf, sizeof(buf));
  return s;
}

// `rel` is what the user sees: store-relative, never the absolute host path.
Status ErrnoStatus(std::string_view syscall, std::string_view rel, int err) {
  std::string where(rel);
  switch (err) {
    case EEXIST:
      return AlreadyExistsError(where + ": path already exists");
    case ENOENT:
      return NotFoundError(where + ": not found");
    default:
      return IOError(std::string(syscall) + " " + where + ": " + ErrnoText(err));
  }
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

std::string_view DirName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

Status WriteAll(int fd, std::string_view data, std::string_view rel) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", rel, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status ReadAll(int fd, std::string* out, std::string_view rel) {
  struct stat st;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) out->reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read", rel, errno);
    }
    if (n == 0) return Status::Ok();
    out->append(buf, static_cast<size_t>(n));
  }
}

class FsStore final : public Store {
 public:
  FsStore(std::string root, int root_fd, SyncMode sync)
      : root_(std::move(root)), root_fd_(root_fd), sync_(sync) {}

  Status Put(std::string_view path, std::string_view data) override {
    QUARRY_RETURN_IF_ERROR(PutDeferred(path, data));
    return Sync();
  }

  Status CompareAndSwap(std::string_view path, std::string_view expected,
                        std::string_view replacement) override {
    QUARRY_RETURN_IF_ERROR(CompareAndSwapDeferred(path, expected, replacement));
    return Sync();
  }

  Status Sync() override {
    if (sync_ == SyncMode::kNever) return Status::Ok();
    // Writes back and flushes everything dirty on the store's filesystem, directory entries
    // included; since Linux 5.8 it also reports writeback errors of files already closed.
    if (::syncfs(root_fd_.get()) != 0) return ErrnoStatus("syncfs", "storage root", errno);
    return Status::Ok();
  }

  Status PutDeferred(std::string_view path, std::string_view data) override {
    QUARRY_RETURN_IF_ERROR(ValidateObjectPath(path));
    const std::string rel_dir(DirName(path));
    QUARRY_RETURN_IF_ERROR(MakeDirs(rel_dir));
    const std::string abs_dir = Abs(rel_dir);
    const std::string tmp = abs_dir + "/.lode-tmp-" + RandomHexSuffix();
    QUARRY_RETURN_IF_ERROR(WriteTempFile(tmp, data, path));
    const std::string target = Abs(path);
    Status st = LinkNoReplace(tmp, target, path);
    ::unlink(tmp.c_str());
    return st;
  }

  StatusOr<std::string> Get(std::string_view path) override {
    QUARRY_RETURN_IF_ERROR(ValidateObjectPath(path));
    Fd fd(::open(Abs(path).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return ErrnoStatus("open", path, errno == ENOTDIR ? ENOENT : errno);
    std::string out;
    QUARRY_RETURN_IF_ERROR(ReadAll(fd.get(), &out, path));
    return out;
  }

  StatusOr<bool> Exists(std::string_view path) override {
    QUARRY_RETURN_IF_ERROR(ValidateObjectPath(path));
    struct stat st;
    if (::stat(Abs(path).c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return false;
      return ErrnoStatus("stat", path, errno);
    }
    // Directories are an artefact of the filesystem, not objects (as on S3).
    return S_ISREG(st.st_mode);
  }

  StatusOr<std::vector<std::string>> List(std::string_view prefix) override {
    QUARRY_RETURN_IF_ERROR(ValidateListPrefix(prefix));
    std::vector<std::string> keys;
    const std::string rel_dir(DirName(prefix));
    QUARRY_RETURN_IF_ERROR(Walk(rel_dir, prefix, &keys));
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  Status Delete(std::string_view path) override {
    QUARRY_RETURN_IF_ERROR(ValidateObjectPath(path));
    if (::unlink(Abs(path).c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) {
      return ErrnoStatus("unlink", path, errno);
    }
    return Status::Ok();
  }

  Status CompareAndSwapDeferred(std::string_view path, std::string_view expected,
                                std::string_view replacement) override {
    QUARRY_RETURN_IF_ERROR(ValidateObjectPath(path));
    const std::string rel_dir(DirName(path));
    QUARRY_RETURN_IF_ERROR(MakeDirs(rel_dir));
    const std::string target = Abs(path);
    const std::string lock_rel = std::string(path) + ".lock";
    Fd lock(::open((target + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!lock.valid()) return ErrnoStatus("open", lock_rel, errno);
    while (::flock(lock.get(), LOCK_EX) != 0) {
      if (errno != EINTR) return ErrnoStatus("flock", lock_rel, errno);
    }
    // The lock is released when `lock` closes, after the rename. Another process may read the
    // new pointer before it is durable; its own barrier (the whole filesystem) then covers it.
    std::string current;
    bool present = true;
    {
      Fd fd(::open(target.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd.valid()) {
        if (errno != ENOENT) return ErrnoStatus("open", path, errno);
        present = false;
      } else {
        QUARRY_RETURN_IF_ERROR(ReadAll(fd.get(), &current, path));
      }
    }
    const bool matches = present ? current == expected : expected.empty();
    if (!matches) return FailedPreconditionError("snapshot conflict: another writer committed");

    const std::string abs_dir = Abs(rel_dir);
    const std::string tmp = abs_dir + "/.lode-cas-" + RandomHexSuffix();
    QUARRY_RETURN_IF_ERROR(WriteTempFile(tmp, replacement, path));
    if (::rename(tmp.c_str(), target.c_str()) != 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      return ErrnoStatus("rename", path, err);
    }
    return Status::Ok();
  }

  std::string_view Backend() const override { return "fs"; }
  std::string RootId() const override { return "fs:" + root_; }

 private:
  std::string Abs(std::string_view rel) const {
    std::string p = root_;
    if (!rel.empty()) p.append("/").append(rel);
    return p;
  }

  // mkdir -p relative to the root with mode 0755 whatever the umask. The new entries become
  // durable with the next Sync(), like the objects below them.
  Status MakeDirs(const std::string& rel_dir) {
    if (rel_dir.empty()) return Status::Ok();
    const std::string abs = Abs(rel_dir);
    if (::mkdir(abs.c_str(), 0755) == 0) {
      ::chmod(abs.c_str(), 0755);
      return Status::Ok();
    }
    if (errno == EEXIST) return Status::Ok();
    if (errno != ENOENT) return ErrnoStatus("mkdir", rel_dir, errno);
    QUARRY_RETURN_IF_ERROR(MakeDirs(std::string(DirName(rel_dir))));
    if (::mkdir(abs.c_str(), 0755) == 0) {
      ::chmod(abs.c_str(), 0755);
      return Status::Ok();
    }
    if (errno == EEXIST) return Status::Ok();
    return ErrnoStatus("mkdir", rel_dir, errno);
  }

  static Status WriteTempFile(const std::string& tmp, std::string_view data, std::string_view rel) {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd.valid()) return ErrnoStatus("create", rel, errno);
    Status st = [&] {
      if (::fchmod(fd.get(), 0644) != 0) return ErrnoStatus("chmod", rel, errno);
      return WriteAll(fd.get(), data, rel);
    }();
    if (!st.ok()) ::unlink(tmp.c_str());
    return st;
  }

  // link() never replaces its target; filesystems without hard links get renameat2's
  // RENAME_NOREPLACE, which has the same guarantee.
  static Status LinkNoReplace(const std::string& tmp, const std::string& target,
                              std::string_view rel) {
    if (::link(tmp.c_str(), target.c_str()) == 0) return Status::Ok();
    int err = errno;
    if (err == EPERM || err == ENOTSUP || err == EOPNOTSUPP || err == EMLINK) {
      if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0) {
        return Status::Ok();
      }
      err = errno;
    }
    return ErrnoStatus("link", rel, err);
  }

  // Appends every regular file under `rel_dir` whose key starts with `prefix`.
  Status Walk(const std::string& rel_dir, std::string_view prefix, std::vector<std::string>* keys) {
    DIR* dir = ::opendir(Abs(rel_dir).c_str());
    if (dir == nullptr) {
      if (errno == ENOENT || errno == ENOTDIR) return Status::Ok();
      return ErrnoStatus("opendir", rel_dir, errno);
    }
    std::vector<std::pair<std::string, bool>> entries;  // name, is_dir
    while (struct dirent* e = ::readdir(dir)) {
      std::string_view name(e->d_name);
      if (name == "." || name == "..") continue;
      std::string key = rel_dir.empty() ? std::string(name) : rel_dir + "/" + std::string(name);
      bool is_dir = e->d_type == DT_DIR;
      bool is_reg = e->d_type == DT_REG;
      if (e->d_type == DT_UNKNOWN || e->d_type == DT_LNK) {
        struct stat st;
        if (::stat(Abs(key).c_str(), &st) != 0) continue;
        // A symlinked directory could loop; we never create links, so only files are followed.
        is_dir = S_ISDIR(st.st_mode) && e->d_type == DT_UNKNOWN;
        is_reg = S_ISREG(st.st_mode);
      }
      if (is_dir || is_reg) entries.emplace_back(std::move(key), is_dir);
    }
    ::closedir(dir);
    for (auto& [key, is_dir] : entries) {
      if (is_dir) {
        // Descend only where keys below can still match the prefix.
        std::string as_dir = key + "/";
        const size_t n = std::min(as_dir.size(), prefix.size());
        if (as_dir.compare(0, n, prefix.substr(0, n)) != 0) continue;
        QUARRY_RETURN_IF_ERROR(Walk(key, prefix, keys));
      } else if (key.compare(0, prefix.size(), prefix) == 0) {
        keys->push_back(std::move(key));
      }
    }
    return Status::Ok();
  }

  std::string root_;  // absolute, symlinks resolved
  Fd root_fd_;        // names the filesystem for syncfs
  const SyncMode sync_;
};

}  // namespace

StatusOr<std::shared_ptr<Store>> OpenFsStore(const std::string& root, SyncMode sync) {
  if (root.empty()) {
    return WrapStorageError("init", root, InvalidArgumentError("storage path is empty"));
  }
  struct stat st;
  if (::stat(root.c_str(), &st) != 0) {
    const int err = errno;
    return WrapStorageError("init", root, ErrnoStatus("stat", root, err));
  }
  if (!S_ISDIR(st.st_mode)) {
    return WrapStorageError("init", root, InvalidArgumentError(root + ": not a directory"));
  }
  char* resolved = ::realpath(root.c_str(), nullptr);
  if (resolved == nullptr) {
    const int err = errno;
    return WrapStorageError("init", root, ErrnoStatus("realpath", root, err));
  }
  std::string abs(resolved);
  std::free(resolved);
  const int fd = ::open(abs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return WrapStorageError("init", root, ErrnoStatus("open", root, err));
  }
  return std::shared_ptr<Store>(std::make_shared<FsStore>(std::move(abs), fd, sync));
}

}  // namespace quarry::lode
