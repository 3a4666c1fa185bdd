// How quarry-temporal reaches a Temporal frontend: address, namespace, identity, TLS and API key,
// plus the deadlines and message limits every call uses (../shared/spec/temporal.md §1).
#pragma once

#include <chrono>
#include <string>

namespace quarry::temporal {

struct TlsOptions {
  bool enabled = false;
  std::string ca_file;      // PEM roots; empty: the system roots
  std::string cert_file;    // client certificate (mTLS), PEM
  std::string key_file;     // its private key, PEM
  std::string server_name;  // overrides the name checked against the certificate
};

struct ConnectionOptions {
  std::string address = "127.0.0.1:7233";
  std::string namespace_name = "default";
  std::string identity;  // empty: DefaultIdentity()
  TlsOptions tls;
  // Temporal Cloud API key, sent as `authorization: Bearer <key>`. Implies TLS.
  std::string api_key;

  // The server holds a long poll for about 60 s and then answers "no task"; the client waits a
  // little longer so that the empty answer, not a deadline error, ends a quiet poll.
  std::chrono::milliseconds long_poll_deadline{70'000};
  std::chrono::milliseconds rpc_deadline{30'000};
  // A workflow task carries the full history; large histories exceed gRPC's 4 MiB default.
  int max_receive_message_bytes = 128 * 1024 * 1024;
  // The worker logs once when the server becomes unreachable and once when it is back; the
  // client commands report their errors themselves.
  bool log_reachability = false;
};

// "<pid>@<hostname>", the convention of the official SDKs.
std::string DefaultIdentity();

}  // namespace quarry::temporal
