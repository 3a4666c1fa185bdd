#include "quarry/proxy/state_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

namespace quarry::proxy {

namespace {

constexpr int kBusyTimeoutMs = 30'000;

Status SqlError(sqlite3* db, const std::string& what) {
  return IOError("proxy state store: " + what + ": " + sqlite3_errmsg(db));
}

Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "unknown error";
    sqlite3_free(err);
    return IOError(std::string("proxy state store: ") + m);
  }
  return Status::Ok();
}

// mkdir -p; the last component gets 0700.
Status MakeDirs(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string part = dir.substr(0, pos);
    const bool last = pos == dir.size();
    if (::mkdir(part.c_str(), last ? 0700 : 0755) != 0 && errno != EEXIST) {
      return IOError("cannot create the proxy state directory " + part + ": " +
                     std::strerror(errno));
    }
  }
  return Status::Ok();
}

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) {
    ok_ = sqlite3_prepare_v2(db, sql, -1, &st_, nullptr) == SQLITE_OK;
  }
  ~Statement() { sqlite3_finalize(st_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  bool ok() const { return ok_; }
  sqlite3_stmt* get() { return st_; }
  void Bind(int i, const std::string& s) {
    sqlite3_bind_text(st_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }

 private:
  sqlite3_stmt* st_ = nullptr;
  bool ok_ = false;
};

StatusOr<std::optional<PoolState>> ReadRow(sqlite3* db, const std::string& name) {
  Statement st(db, "SELECT state FROM pool_state WHERE name = ?1");
  if (!st.ok()) return SqlError(db, "read");
  st.Bind(1, name);
  int rc = sqlite3_step(st.get());
  if (rc == SQLITE_DONE) return std::optional<PoolState>();
  if (rc != SQLITE_ROW) return SqlError(db, "read");
  const char* text = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 0));
  nlohmann::json j = nlohmann::json::parse(text ? text : "", nullptr, false);
  if (j.is_discarded()) return DataLossError("proxy state store: pool \"" + name + "\" is corrupt");
  QUARRY_ASSIGN_OR_RETURN(PoolState s, StateFromJson(j));
  return std::optional<PoolState>(std::move(s));
}

Status WriteRow(sqlite3* db, const std::string& name, const PoolState& s) {
  Statement st(db,
               "INSERT INTO pool_state(name, state) VALUES(?1, ?2) "
               "ON CONFLICT(name) DO UPDATE SET state = excluded.state");
  if (!st.ok()) return SqlError(db, "write");
  st.Bind(1, name);
  st.Bind(2, StateToJson(s).dump());
  if (sqlite3_step(st.get()) != SQLITE_DONE) return SqlError(db, "write");
  return Status::Ok();
}

}  // namespace

std::string StateStore::DefaultDir() {
  if (const char* d = std::getenv("QUARRY_STATE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) return std::string(x) + "/quarry";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.local/state/quarry";
}

StatusOr<std::unique_ptr<StateStore>> StateStore::Open(const std::string& dir) {
  QUARRY_RETURN_IF_ERROR(MakeDirs(dir));
  const std::string path = dir + "/proxy-state.sqlite";
  // Created 0600 before SQLite opens it; its -wal and -shm files take the same mode.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return IOError("cannot open the proxy state store " + path + ": " + std::strerror(errno));
  ::close(fd);
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    Status s = SqlError(db, "open " + path);
    sqlite3_close(db);
    return s;
  }
  std::unique_ptr<StateStore> store(new StateStore(db, path));
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  // Switching a new database to WAL does not wait on the busy handler: processes creating the
  // store at the same moment (two workers starting) get SQLITE_BUSY, so the setup is retried.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  while (true) {
    Status s = Exec(db, "PRAGMA journal_mode=WAL");
    if (s.ok()) s = Exec(db, "PRAGMA synchronous=NORMAL");
    if (s.ok()) {
      s = Exec(db,
               "CREATE TABLE IF NOT EXISTS pool_state(name TEXT PRIMARY KEY, state TEXT NOT NULL)");
    }
    if (s.ok()) return store;
    const int code = sqlite3_errcode(db) & 0xff;
    if ((code != SQLITE_BUSY && code != SQLITE_LOCKED) ||
        std::chrono::steady_clock::now() >= deadline) {
      return s;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

StateStore::~StateStore() { sqlite3_close(db_); }

template <typename Fn>
Status StateStore::Transact(const Pool& pool, Fn&& fn, std::vector<std::string>* notices) {
  std::lock_guard<std::mutex> lock(mu_);
  QUARRY_RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE"));
  auto body = [&]() -> Status {
    QUARRY_ASSIGN_OR_RETURN(std::optional<PoolState> row, ReadRow(db_, pool.name));
    PoolState s = row ? std::move(*row) : FreshState(pool);
    if (row && ResetIfChanged(pool, &s) && notices) {
      notices->push_back("proxy pool \"" + pool.name +
                         "\" changed (its endpoints differ); its selection state was reset");
    }
    QUARRY_RETURN_IF_ERROR(fn(&s));
    return WriteRow(db_, pool.name, s);
  };
  Status s = body();
  if (!s.ok()) {
    (void)Exec(db_, "ROLLBACK");
    return s;
  }
  return Exec(db_, "COMMIT");
}

StatusOr<Selection> StateStore::Commit(const Pool& pool, const SelectionRequest& req,
                                       int64_t now_ms, const HealthRules& rules,
                                       const Random& random, std::vector<std::string>* notices) {
  Selection out;
  Status s = Transact(
      pool,
      [&](PoolState* st) -> Status {
        QUARRY_ASSIGN_OR_RETURN(out, Select(pool, st, req, /*commit=*/true, now_ms, rules, random));
        return Status::Ok();
      },
      notices);
  if (!s.ok()) return s;
  return out;
}

StatusOr<Selection> StateStore::Peek(const Pool& pool, const SelectionRequest& req, int64_t now_ms,
                                     const HealthRules& rules, const Random& random) {
  std::optional<PoolState> row;
  {
    std::lock_guard<std::mutex> lock(mu_);
    QUARRY_ASSIGN_OR_RETURN(row, ReadRow(db_, pool.name));
  }
  PoolState s = row ? std::move(*row) : FreshState(pool);
  if (row) ResetIfChanged(pool, &s);
  return Select(pool, &s, req, /*commit=*/false, now_ms, rules, random);
}

Status StateStore::Rotate(const Pool& pool, int index, const std::string& sticky_key) {
  return Transact(
      pool,
      [&](PoolState* st) {
        proxy::Rotate(st, index, sticky_key);
        return Status::Ok();
      },
      nullptr);
}

Status StateStore::RecordOutcome(const Pool& pool, int index, bool failed, int64_t now_ms,
                                 const HealthRules& rules) {
  return Transact(
      pool,
      [&](PoolState* st) {
        proxy::RecordOutcome(st, index, failed, now_ms, rules);
        return Status::Ok();
      },
      nullptr);
}

StatusOr<std::optional<PoolState>> StateStore::Load(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  return ReadRow(db_, name);
}

StatusOr<std::vector<std::pair<std::string, PoolState>>> StateStore::LoadAll() {
  std::lock_guard<std::mutex> lock(mu_);
  Statement st(db_, "SELECT name FROM pool_state ORDER BY name");
  if (!st.ok()) return SqlError(db_, "list");
  std::vector<std::string> names;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 0)));
  }
  if (rc != SQLITE_DONE) return SqlError(db_, "list");
  std::vector<std::pair<std::string, PoolState>> out;
  for (const std::string& n : names) {
    QUARRY_ASSIGN_OR_RETURN(std::optional<PoolState> s, ReadRow(db_, n));
    if (s) out.emplace_back(n, std::move(*s));
  }
  return out;
}

}  // namespace quarry::proxy
