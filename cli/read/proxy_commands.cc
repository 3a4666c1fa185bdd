#include "read/proxy_commands.h"

#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <deque>
#include <functional>
#include <nlohmann/json.hpp>

#include "config_file.h"
#include "output/render.h"
#include "proxy_options.h"
#include "quarry/log.h"
#include "quarry/proxy/state_store.h"

namespace quarry::cli {
namespace {

using nlohmann::ordered_json;
using output::Family;

struct ProxyLeaf {
  CLI::App* cmd = nullptr;
  output::OutputFlags out;
  std::string config;
  ProxyFlags proxy;  // --proxy-config; debug resolve also fills the selection inputs
  std::string pool, job_id;
  bool commit = false;
};

std::deque<ProxyLeaf>& Leaves() {
  static std::deque<ProxyLeaf> leaves;
  return leaves;
}

ordered_json Time(const std::optional<int64_t>& ms) {
  if (!ms) return nullptr;
  std::time_t secs = static_cast<std::time_t>(*ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[40];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(*ms % 1000));
  return out;
}

ordered_json EndpointJson(const proxy::Endpoint& e) {
  ordered_json j{{"protocol", e.protocol}, {"host", e.host}, {"port", e.port}};
  if (e.username && !e.username->empty()) j["username"] = *e.username;
  return j;  // never the password (§8.8)
}

ordered_json StickyJson(const std::optional<proxy::Sticky>& s) {
  if (!s) return nullptr;
  ordered_json j{{"scope", s->scope}};
  if (s->ttl_ms) j["ttl_ms"] = *s->ttl_ms;
  return j;
}

// The pools of the leaf's sources, and the persisted state (none when this host never selected).
struct Inputs {
  ProxySources sources;
  std::vector<std::pair<std::string, proxy::PoolState>> states;
  std::unique_ptr<proxy::StateStore> store;

  const proxy::PoolState* State(const std::string& name) const {
    for (const auto& [n, s] : states) {
      if (n == name) return &s;
    }
    return nullptr;
  }
};

StatusOr<Inputs> Load(const ProxyLeaf& leaf) {
  Inputs in;
  std::optional<ConfigFile> config;
  if (!leaf.config.empty()) {
    StatusOr<ConfigFile> c = LoadConfigFile(leaf.config);
    if (!c.ok()) return InvalidArgumentError("failed to load config: " + c.status().message());
    config = std::move(c).value();
  }
  QUARRY_ASSIGN_OR_RETURN(in.sources,
                          LoadProxySources(config ? &*config : nullptr, leaf.proxy.proxy_config,
                                           [](const std::string& w) { log::Warning(w); }));
  // A host that never selected has no state yet: read commands do not create it.
  const std::string dir = proxy::StateStore::DefaultDir();
  struct stat st {};
  if (::stat((dir + "/proxy-state.sqlite").c_str(), &st) == 0) {
    StatusOr<std::unique_ptr<proxy::StateStore>> store = proxy::StateStore::Open(dir);
    if (!store.ok()) return InvalidArgumentError("proxy setup failed: " + store.status().message());
    in.store = std::move(store).value();
    QUARRY_ASSIGN_OR_RETURN(in.states, in.store->LoadAll());
  }
  return in;
}

void Fail(const std::string& message, int* exit_code) {
  log::Error(message);
  *exit_code = 1;
}

void Run(ProxyLeaf& leaf, Family family, const std::function<StatusOr<ordered_json>(Inputs&)>& body,
         int* exit_code) {
  StatusOr<output::OutputChoice> choice = output::ChooseOutput(leaf.out, family);
  if (!choice.ok()) return Fail(choice.status().message(), exit_code);
  if (choice->tui) return Fail("--tui is not supported for proxy commands", exit_code);
  StatusOr<Inputs> in = Load(leaf);
  if (!in.ok()) return Fail(in.status().message(), exit_code);
  StatusOr<ordered_json> response = body(*in);
  if (!response.ok()) return Fail(response.status().message(), exit_code);
  const std::string text = output::Render(*response, choice->format, choice->color);
  std::fwrite(text.data(), 1, text.size(), stdout);
}

ProxyLeaf& NewLeaf(CLI::App* parent, const char* name, const char* help) {
  ProxyLeaf& leaf = Leaves().emplace_back();
  leaf.cmd = parent->add_subcommand(name, help);
  output::AddOutputFlags(leaf.cmd, &leaf.out);
  leaf.cmd->add_option("--config", leaf.config, "YAML config file (its proxies: section)");
  AddProxySourceFlag(leaf.cmd, &leaf.proxy);
  return leaf;
}

StatusOr<ordered_json> InspectPool(const std::string& name, Inputs& in) {
  if (name.empty()) return InvalidArgumentError("pool-name required");
  const proxy::Pool* pool = in.sources.Find(name);
  const proxy::PoolState* stored = in.State(name);
  if (!pool && !stored) return NotFoundError("pool not found: " + name);
  // With the pool's config, the state as the next selection would see it (a changed pool
  // starts afresh); without it, the settings last seen by a selection.
  proxy::PoolState s = stored ? *stored : proxy::FreshState(*pool);
  if (pool && stored) proxy::ResetIfChanged(*pool, &s);
  const int64_t now = proxy::NowMs();
  const int64_t n = pool ? static_cast<int64_t>(pool->endpoints.size()) : s.endpoint_count;
  ordered_json runtime;
  int64_t rr_index = n > 0 ? static_cast<int64_t>(s.rr_counter % static_cast<uint64_t>(n)) : 0;
  if (pool) {
    proxy::PoolState copy = s;
    proxy::SelectionRequest rr;
    rr.strategy = "round_robin";
    auto next =
        proxy::Select(*pool, &copy, rr, false, now, in.sources.rules, proxy::SystemRandom());
    if (next.ok()) rr_index = next->index;
  }
  runtime["round_robin_index"] = rr_index;
  int64_t live = 0;
  for (const auto& [k, e] : s.sticky_map) {
    if (!e.expires_at_ms || *e.expires_at_ms > now) ++live;
  }
  runtime["sticky_entries"] = live;
  const auto window = pool ? pool->recency_window : s.recency_window;
  if (window) runtime["recency_window"] = *window;
  runtime["recency_fill"] = s.ring.size();
  runtime["last_used_at"] = Time(s.last_used_at_ms);
  runtime["pending_rotation"] = s.avoid ? ordered_json(*s.avoid) : ordered_json(nullptr);
  ordered_json health = ordered_json::array();
  for (int64_t i = 0; i < n; ++i) {
    proxy::EndpointHealth h =
        static_cast<size_t>(i) < s.health.size() ? s.health[i] : proxy::EndpointHealth{};
    ordered_json e{{"index", i}};
    if (pool) e["endpoint"] = EndpointJson(pool->endpoints[i]);
    e["benched"] = proxy::Benched(s, static_cast<int>(i), now);
    e["benched_until"] = e["benched"].get<bool>() ? Time(h.benched_until_ms) : nullptr;
    e["consecutive_failures"] = h.consecutive_failures;
    e["failures"] = h.failures;
    e["successes"] = h.successes;
    e["last_failure_at"] = Time(h.last_failure_at_ms);
    health.push_back(e);
  }
  ordered_json j{{"name", name},       {"strategy", pool ? pool->strategy : s.strategy},
                 {"endpoint_cnt", n},  {"sticky", StickyJson(pool ? pool->sticky : s.sticky)},
                 {"runtime", runtime}, {"health", health}};
  return j;
}

}  // namespace

void AddProxyReadCommands(CLI::App* app, int* exit_code) {
  ProxyLeaf& inspect = NewLeaf(app->get_subcommand("inspect"), "proxy",
                               "Show a proxy pool: strategy, selection state and endpoint health");
  inspect.cmd->add_option("pool-name", inspect.pool, "The pool-name");
  inspect.cmd->callback([&inspect, exit_code] {
    Run(
        inspect, Family::kInspect, [&inspect](Inputs& in) { return InspectPool(inspect.pool, in); },
        exit_code);
  });

  ProxyLeaf& pools = NewLeaf(app->get_subcommand("list"), "pools",
                             "Proxy pools: name, strategy (from --config, else the state store)");
  pools.cmd->callback([&pools, exit_code] {
    Run(
        pools, Family::kList,
        [](Inputs& in) -> StatusOr<ordered_json> {
          ordered_json out = ordered_json::array();
          if (in.sources.any()) {
            for (const proxy::Pool& p : in.sources.pools) {
              out.push_back({{"name", p.name}, {"strategy", p.strategy}});
            }
          } else {
            for (const auto& [n, s] : in.states)
              out.push_back({{"name", n}, {"strategy", s.strategy}});
          }
          return out;
        },
        exit_code);
  });

  ProxyLeaf& stats = NewLeaf(app->get_subcommand("stats"), "proxies",
                             "Per pool: committed selections, rotations, last use (state store)");
  stats.cmd->callback([&stats, exit_code] {
    Run(
        stats, Family::kStats,
        [](Inputs& in) -> StatusOr<ordered_json> {
          ordered_json out = ordered_json::array();
          for (const auto& [n, s] : in.states) {
            out.push_back({{"pool", n},
                           {"requests", s.requests},
                           {"failures", s.failures},
                           {"last_used_at", Time(s.last_used_at_ms)}});
          }
          return out;
        },
        exit_code);
  });

  CLI::App* debug = app->get_subcommand("debug");
  CLI::App* resolve_group = debug->add_subcommand("resolve", "Resolve what a selection would do");
  resolve_group->require_subcommand(1);
  ProxyLeaf& resolve = NewLeaf(resolve_group, "proxy",
                               "The endpoint the next selection from a pool would return (a peek)");
  resolve.cmd->add_option("pool", resolve.pool, "The pool");
  resolve.cmd->add_flag("--commit", resolve.commit,
                        "Apply the selection to an in-memory copy of the state (never persisted)");
  resolve.cmd->add_option("--strategy", resolve.proxy.strategy, "Strategy override");
  resolve.cmd->add_option("--sticky-key", resolve.proxy.sticky_key, "Sticky key");
  resolve.cmd->add_option("--job-id", resolve.job_id, "Job id (sticky scope job)");
  resolve.cmd->add_option("--domain", resolve.proxy.domain, "Domain (sticky scope domain)");
  resolve.cmd->add_option("--origin", resolve.proxy.origin, "Origin (sticky scope origin)");
  resolve.cmd->callback([&resolve, exit_code] {
    Run(
        resolve, Family::kDebug,
        [&resolve](Inputs& in) -> StatusOr<ordered_json> {
          if (resolve.pool.empty()) return InvalidArgumentError("pool name required");
          if (!in.sources.any()) {
            return InvalidArgumentError(
                "proxy setup failed: no pools: pass --config with a proxies: section, or "
                "--proxy-config");
          }
          const proxy::Pool* pool = in.sources.Find(resolve.pool);
          if (!pool) {
            return InvalidArgumentError("proxy selection failed: unknown pool \"" + resolve.pool +
                                        "\"");
          }
          const proxy::PoolState* stored = in.State(pool->name);
          proxy::PoolState copy = stored ? *stored : proxy::FreshState(*pool);
          if (stored) proxy::ResetIfChanged(*pool, &copy);
          proxy::SelectionRequest req;
          req.strategy = resolve.proxy.strategy;
          req.sticky_key = resolve.proxy.sticky_key;
          req.domain = resolve.proxy.domain;
          req.origin = resolve.proxy.origin;
          req.job_id = resolve.job_id;
          // D11.26: even with --commit only this in-memory copy changes.
          StatusOr<proxy::Selection> sel =
              proxy::Select(*pool, &copy, req, resolve.commit, proxy::NowMs(), in.sources.rules,
                            proxy::SystemRandom());
          if (!sel.ok()) {
            return InvalidArgumentError("proxy selection failed: " + sel.status().message());
          }
          return ordered_json{{"endpoint", EndpointJson(sel->endpoint)},
                              {"committed", resolve.commit}};
        },
        exit_code);
  });
}

}  // namespace quarry::cli
