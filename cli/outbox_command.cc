#include "outbox_command.h"

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config_file.h"
#include "quarry/adapters/outbox.h"
#include "quarry/lode/open_store.h"
#include "quarry/lode/store.h"
#include "quarry/log.h"
#include "quarry/run/run_spec.h"

namespace quarry::cli {
namespace {

struct OutboxFlags {
  std::string config, storage_backend, storage_path, storage_dataset = "quarry";
  std::string storage_region, storage_endpoint;
  bool storage_s3_path_style = false;
  std::string adapter, adapter_url, adapter_timeout, adapter_channel;
  std::vector<std::string> adapter_headers;
  int64_t adapter_retries = 3;
  CLI::App* cmd = nullptr;
  bool Set(const char* name) const { return cmd->count(name) > 0; }
};

struct CommandError {
  std::string message;
};

// Config (if any) under the flags, then the store. Fills `spec` with the adapter settings.
std::shared_ptr<lode::Store> Open(OutboxFlags& f, run::AdapterSpec* spec) {
  std::map<std::string, std::string> config_headers;
  std::optional<int64_t> config_retries;
  if (!f.config.empty()) {
    auto c = LoadConfigFile(f.config);
    if (!c.ok()) throw CommandError{"failed to load config: " + c.status().message()};
    auto merge = [&](const char* flag, std::string* v, const std::string& from) {
      if (!f.Set(flag) && !from.empty()) *v = from;
    };
    merge("--storage-backend", &f.storage_backend, c->storage.backend);
    merge("--storage-path", &f.storage_path, c->storage.path);
    merge("--storage-dataset", &f.storage_dataset, c->storage.dataset);
    merge("--storage-region", &f.storage_region, c->storage.region);
    merge("--storage-endpoint", &f.storage_endpoint, c->storage.endpoint);
    if (!f.Set("--storage-s3-path-style") && c->storage.s3_path_style) {
      f.storage_s3_path_style = true;
    }
    merge("--adapter", &f.adapter, c->adapter.type);
    merge("--adapter-url", &f.adapter_url, c->adapter.url);
    merge("--adapter-channel", &f.adapter_channel, c->adapter.channel);
    if (!f.Set("--adapter-timeout") && c->adapter.timeout.count() != 0) {
      f.adapter_timeout = FormatDuration(c->adapter.timeout);
    }
    config_headers = c->adapter.headers;
    config_retries = c->adapter.retries;
  }
  if (spec != nullptr) {
    spec->type = f.adapter;
    spec->url = f.adapter_url;
    spec->channel = f.adapter_channel;
    spec->timeout = f.adapter_timeout;
    for (const auto& [k, v] : config_headers) spec->headers.push_back(k + "=" + v);
    spec->headers.insert(spec->headers.end(), f.adapter_headers.begin(), f.adapter_headers.end());
    spec->retries =
        f.Set("--adapter-retries") ? std::optional<int64_t>(f.adapter_retries) : config_retries;
  }
  if (f.storage_backend.empty()) throw CommandError{"--storage-backend is required (fs or s3)"};
  if (f.storage_path.empty()) throw CommandError{"--storage-path is required"};
  const lode::StorageLocation settings{f.storage_backend, f.storage_path, f.storage_region,
                                       f.storage_endpoint, f.storage_s3_path_style};
  if (Status st = lode::ValidateStorageLocation(settings); !st.ok()) {
    throw CommandError{st.message()};
  }
  std::error_code ec;
  if (f.storage_backend == "fs" && !std::filesystem::is_directory(f.storage_path, ec)) {
    throw CommandError{"storage path " + f.storage_path + " is not an existing directory"};
  }
  for (const auto& w : lode::StorageLocationWarnings(settings)) log::Warning(w);
  auto store = lode::OpenStore(settings);
  if (!store.ok()) throw CommandError{store.status().message()};
  return *store;
}

void PrintPending(const std::vector<adapters::OutboxEntry>& pending) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& e : pending) {
    out.push_back({{"run_id", e.run_id},
                   {"source", e.source},
                   {"category", e.category},
                   {"day", e.day},
                   {"adapter_type", e.adapter_type},
                   {"target", e.target},
                   {"created_at", e.created_at}});
  }
  std::printf("%s\n", out.dump(2).c_str());
}

int List(OutboxFlags& f) {
  auto store = Open(f, nullptr);
  adapters::Outbox outbox(store, f.storage_dataset);
  auto pending = outbox.Pending();
  if (!pending.ok()) throw CommandError{pending.status().message()};
  PrintPending(*pending);
  return pending->empty() ? 0 : 1;
}

int Flush(OutboxFlags& f) {
  run::AdapterSpec spec;
  auto store = Open(f, &spec);
  if (spec.type.empty()) {
    throw CommandError{"--adapter is required: the outbox stores no credentials"};
  }
  auto config = run::BuildAdapterConfig(spec, [](const std::string& w) { log::Warning(w); });
  if (!config.ok()) throw CommandError{config.status().message()};
  auto adapter = adapters::NewAdapter(**config);
  if (!adapter.ok()) throw CommandError{"adapter creation failed: " + adapter.status().message()};
  adapters::Outbox outbox(store, f.storage_dataset);
  auto r = adapters::Redrive(&outbox, adapter->get(), **config, std::nullopt,
                             [](const std::string& w) { log::Warning(w); });
  if (!r.ok()) throw CommandError{r.status().message()};
  std::fprintf(stderr, "delivered=%d failed=%d other_target=%d pending=%d\n", r->delivered,
               r->failed, r->skipped, r->left_pending);
  auto left = outbox.Pending();
  if (!left.ok()) throw CommandError{left.status().message()};
  PrintPending(*left);
  return left->empty() ? 0 : 1;
}

void AddStorageFlags(CLI::App* cmd, OutboxFlags& f) {
  cmd->add_option("--config", f.config, "YAML config file (storage and adapter settings)");
  cmd->add_option("--storage-backend", f.storage_backend, "Storage backend: fs or s3");
  cmd->add_option("--storage-path", f.storage_path, "fs: the store directory; s3: bucket[/prefix]");
  cmd->add_option("--storage-region", f.storage_region, "s3: region");
  cmd->add_option("--storage-endpoint", f.storage_endpoint, "s3: S3-compatible endpoint URL");
  cmd->add_flag("--storage-s3-path-style", f.storage_s3_path_style, "s3: path-style addressing");
  cmd->add_option("--storage-dataset", f.storage_dataset, "Dataset id");
}

}  // namespace

void AddOutboxCommand(CLI::App* app, int* exit_code) {
  CLI::App* outbox =
      app->add_subcommand("outbox", "Pending run_completed notifications (at-least-once)");
  outbox->require_subcommand(1);

  auto list_flags = std::make_shared<OutboxFlags>();
  CLI::App* list = outbox->add_subcommand(
      "list", "Show pending notifications (exit 0 when none are pending, 1 otherwise)");
  list_flags->cmd = list;
  AddStorageFlags(list, *list_flags);
  list->callback([list_flags, exit_code] {
    try {
      *exit_code = List(*list_flags);
    } catch (const CommandError& e) {
      log::Error(e.message);
      *exit_code = 2;
    }
  });

  auto flush_flags = std::make_shared<OutboxFlags>();
  CLI::App* flush = outbox->add_subcommand(
      "flush",
      "Re-publish pending notifications now (exit 0 when none are left pending, 1 otherwise)");
  flush_flags->cmd = flush;
  OutboxFlags& f = *flush_flags;
  AddStorageFlags(flush, f);
  flush->add_option("--adapter", f.adapter, "webhook or redis (the outbox stores no secrets)");
  flush->add_option("--adapter-url", f.adapter_url, "Webhook URL or redis:// URL");
  flush->add_option("--adapter-header", f.adapter_headers, "Webhook header key=value (repeatable)")
      ->allow_extra_args(false);
  flush->add_option("--adapter-timeout", f.adapter_timeout, "Adapter timeout (default 10s)");
  flush->add_option("--adapter-retries", f.adapter_retries, "Adapter retries (default 3)");
  flush->add_option("--adapter-channel", f.adapter_channel, "redis: channel");
  flush->callback([flush_flags, exit_code] {
    try {
      *exit_code = Flush(*flush_flags);
    } catch (const CommandError& e) {
      log::Error(e.message);
      *exit_code = 2;
    }
  });
}

}  // namespace quarry::cli
