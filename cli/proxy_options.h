// The proxy part of the CLI (cli-and-integrations.md §4.1 rows 22–27, §4.3 step 15, §7.4;
// storage-and-policies.md §8.2–§8.3): the pool sources, their validation, and the selection
// inputs shared by `quarry run` and the read commands.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config_file.h"
#include "quarry/proxy/pool_client.h"
#include "quarry/status.h"

namespace quarry::cli {

struct ProxyFlags {
  std::string proxy_config;  // --proxy-config (legacy JSON)
  std::string pool, strategy, sticky_key, domain, origin;
};

// The two pool-source flags every proxy command takes.
void AddProxySourceFlag(CLI::App* cmd, ProxyFlags* f);
// `quarry run`'s selection flags (--proxy-pool, --proxy-strategy, --proxy-sticky-key,
// --proxy-domain, --proxy-origin).
void AddProxySelectionFlags(CLI::App* cmd, ProxyFlags* f);

struct ProxySources {
  std::vector<proxy::Pool> pools;  // validated, in name order
  std::string default_pool, default_strategy;
  proxy::HealthRules rules;
  bool any() const { return !pools.empty(); }
  const proxy::Pool* Find(const std::string& name) const;
};

// Pools from `config`'s proxies: (may be null) or from --proxy-config, never both. Hard
// validation failures are errors ("proxy selection failed: ..."); soft rules and the
// deprecation of --proxy-config go to `warn`.
StatusOr<ProxySources> LoadProxySources(const ConfigFile* config, const std::string& proxy_config,
                                        const std::function<void(const std::string&)>& warn);

// `quarry run`: when a pool is asked for (flag or proxy.pool), the client that makes the run's
// committed selection; nullptr when the run uses no pool. Errors are pre-run errors.
StatusOr<std::shared_ptr<proxy::PoolClient>> RunPoolClient(
    const ProxySources& sources, const ProxyFlags& flags, const std::string& job_id,
    const std::function<void(const std::string&)>& warn);

}  // namespace quarry::cli
