// The persisted proxy selection state of one host (storage-and-policies.md §8.5, Decision D4):
// a SQLite database, <state dir>/proxy-state.sqlite, one row per pool holding its PoolState as
// JSON. Every change is one IMMEDIATE transaction, so a committed selection is an atomic
// read-modify-write across the threads of a process and across processes (several `quarry run`s,
// fan-out children, Temporal activities). Endpoints are stored as indices under the pool's
// fingerprint: no password is ever written here.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "quarry/proxy/selection.h"
#include "quarry/status.h"

struct sqlite3;

namespace quarry::proxy {

class StateStore {
 public:
  // $QUARRY_STATE_DIR, else $XDG_STATE_HOME/quarry, else $HOME/.local/state/quarry.
  static std::string DefaultDir();
  // Creates the directory (0700) and the database (0600) when missing.
  static StatusOr<std::unique_ptr<StateStore>> Open(const std::string& dir);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  const std::string& path() const { return path_; }

  // A committed selection. `notices` receives "state reset" notes (pool fingerprint changed).
  StatusOr<Selection> Commit(const Pool& pool, const SelectionRequest& req, int64_t now_ms,
                             const HealthRules& rules, const Random& random,
                             std::vector<std::string>* notices);
  // The selection a commit would make now; reads only.
  StatusOr<Selection> Peek(const Pool& pool, const SelectionRequest& req, int64_t now_ms,
                           const HealthRules& rules, const Random& random);
  // rotate_proxy from a run that used `index` of `pool` (ignored when the pool changed since).
  Status Rotate(const Pool& pool, int index, const std::string& sticky_key);
  // The end of a run that used `index` of `pool`.
  Status RecordOutcome(const Pool& pool, int index, bool failed, int64_t now_ms,
                       const HealthRules& rules);

  // The state of one pool as stored; none when the pool was never used on this host.
  StatusOr<std::optional<PoolState>> Load(const std::string& name);
  StatusOr<std::vector<std::pair<std::string, PoolState>>> LoadAll();

 private:
  StateStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  template <typename Fn>
  Status Transact(const Pool& pool, Fn&& fn, std::vector<std::string>* notices);

  std::mutex mu_;  // one transaction at a time on this connection
  sqlite3* db_;
  std::string path_;
};

}  // namespace quarry::proxy
