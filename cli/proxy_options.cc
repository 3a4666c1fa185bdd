#include "proxy_options.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace quarry::cli {

void AddProxySourceFlag(CLI::App* cmd, ProxyFlags* f) {
  cmd->add_option("--proxy-config", f->proxy_config,
                  "JSON file holding an array of proxy pools (deprecated: use proxies: in "
                  "--config)");
}

void AddProxySelectionFlags(CLI::App* cmd, ProxyFlags* f) {
  cmd->add_option("--proxy-pool", f->pool, "Select this run's proxy from this pool");
  cmd->add_option("--proxy-strategy", f->strategy,
                  "Override the pool's strategy: round_robin, random or sticky");
  cmd->add_option("--proxy-sticky-key", f->sticky_key, "Sticky selection key");
  cmd->add_option("--proxy-domain", f->domain, "Domain for a pool with sticky scope domain");
  cmd->add_option("--proxy-origin", f->origin,
                  "Origin (scheme://host:port) for a pool with sticky scope origin");
}

const proxy::Pool* ProxySources::Find(const std::string& name) const {
  for (const proxy::Pool& p : pools) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

StatusOr<ProxySources> LoadProxySources(const ConfigFile* config, const std::string& proxy_config,
                                        const std::function<void(const std::string&)>& warn) {
  ProxySources out;
  const bool from_config = config && !config->proxies.empty();
  if (from_config && !proxy_config.empty()) {
    return InvalidArgumentError(
        "--proxy-config cannot be combined with the proxies: section of --config (use one pool "
        "source)");
  }
  if (config) {
    out.default_pool = config->proxy.pool;
    out.default_strategy = config->proxy.strategy;
    if (config->proxy.bench_after) {
      if (*config->proxy.bench_after < 0) {
        return InvalidArgumentError("proxy.bench_after must not be negative");
      }
      out.rules.bench_after = static_cast<int>(*config->proxy.bench_after);
    }
    if (config->proxy.bench_for) {
      if (config->proxy.bench_for->count() < 0) {
        return InvalidArgumentError("proxy.bench_for must not be negative");
      }
      out.rules.bench_for_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(*config->proxy.bench_for).count();
    }
    out.pools = config->proxies;
  }
  if (!proxy_config.empty()) {
    warn(
        "--proxy-config is deprecated: move its pools to the proxies: section of a --config "
        "file");
    std::ifstream in(proxy_config, std::ios::binary);
    if (!in) return InvalidArgumentError("proxy config file not found: " + proxy_config);
    std::stringstream text;
    text << in.rdbuf();
    QUARRY_ASSIGN_OR_RETURN(out.pools, proxy::ParsePoolsJson(text.str()));
    std::sort(out.pools.begin(), out.pools.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
  }
  for (size_t i = 0; i < out.pools.size(); ++i) {
    proxy::PoolCheck check = proxy::ValidatePool(out.pools[i]);
    if (!check.status.ok()) {
      return InvalidArgumentError("proxy selection failed: " + check.status.message());
    }
    if (i > 0 && out.pools[i].name == out.pools[i - 1].name) {
      return InvalidArgumentError("proxy selection failed: pool \"" + out.pools[i].name +
                                  "\" is defined twice");
    }
    for (const std::string& w : check.warnings) warn(w);
  }
  return out;
}

StatusOr<std::shared_ptr<proxy::PoolClient>> RunPoolClient(
    const ProxySources& sources, const ProxyFlags& flags, const std::string& job_id,
    const std::function<void(const std::string&)>& warn) {
  const std::string name = flags.pool.empty() ? sources.default_pool : flags.pool;
  if (name.empty()) return std::shared_ptr<proxy::PoolClient>();
  if (!sources.any()) {
    return InvalidArgumentError(
        "--proxy-pool needs pools: add a proxies: section to --config (or pass --proxy-config)");
  }
  const proxy::Pool* pool = sources.Find(name);
  if (!pool) return InvalidArgumentError("proxy selection failed: unknown pool \"" + name + "\"");
  proxy::SelectionRequest req;
  req.strategy = flags.strategy.empty() ? sources.default_strategy : flags.strategy;
  req.sticky_key = flags.sticky_key;
  req.domain = flags.domain;
  req.origin = flags.origin;
  req.job_id = job_id;
  if (pool->sticky && flags.sticky_key.empty()) {
    const std::string& scope = pool->sticky->scope;
    if (scope == "domain" && flags.domain.empty()) {
      warn("pool \"" + name +
           "\" has sticky scope domain, but neither --proxy-sticky-key nor --proxy-domain was "
           "given");
    } else if (scope == "origin" && flags.origin.empty()) {
      warn("pool \"" + name +
           "\" has sticky scope origin, but neither --proxy-sticky-key nor --proxy-origin was "
           "given");
    }
  }
  StatusOr<std::unique_ptr<proxy::StateStore>> store =
      proxy::StateStore::Open(proxy::StateStore::DefaultDir());
  if (!store.ok()) return InvalidArgumentError("proxy setup failed: " + store.status().message());
  return std::make_shared<proxy::PoolClient>(std::shared_ptr<proxy::StateStore>(std::move(*store)),
                                             *pool, std::move(req), sources.rules);
}

}  // namespace quarry::cli
