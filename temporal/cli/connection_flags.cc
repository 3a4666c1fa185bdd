#include "cli/connection_flags.h"

#include <cstdio>

#include "quarry/log.h"

namespace quarry::temporal::cli {

void AddConnectionFlags(CLI::App* cmd, ConnectionOptions* o) {
  cmd->add_option("--address", o->address, "Temporal frontend host:port")->capture_default_str();
  cmd->add_option("--namespace", o->namespace_name, "Temporal namespace")->capture_default_str();
  cmd->add_option("--identity", o->identity, "Identity reported to the server (default pid@host)");
  cmd->add_flag("--tls", o->tls.enabled,
                "Use TLS (implied by --api-key and the other --tls-* flags)");
  cmd->add_option("--tls-ca", o->tls.ca_file, "PEM file of trusted roots (default: system roots)");
  cmd->add_option("--tls-cert", o->tls.cert_file, "Client certificate for mTLS (PEM)");
  cmd->add_option("--tls-key", o->tls.key_file, "Private key of --tls-cert (PEM)");
  cmd->add_option("--tls-server-name", o->tls.server_name,
                  "Server name checked against the certificate");
  cmd->add_option("--api-key", o->api_key, "API key (Temporal Cloud), sent as a bearer token")
      ->envname("TEMPORAL_API_KEY");
}

void PrintError(const std::string& message) {
  // log::Error keeps it one line whatever the message carries (server texts, ids with newlines).
  log::Error(message);
}

}  // namespace quarry::temporal::cli
