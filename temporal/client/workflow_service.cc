#include "client/workflow_service.h"

#include <grpc/support/log.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "quarry/log.h"

#include "temporal/api/workflowservice/v1/service.grpc.pb.h"

namespace quarry::temporal {

class WorkflowService::Stub {
 public:
  std::unique_ptr<wfs::WorkflowService::Stub> stub;
};

namespace {

StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  if (path.empty()) return std::string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgumentError(std::string(what) + ": cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

Status FromGrpc(const grpc::Status& s, const char* method, const std::string& address) {
  const std::string msg = OneLine(s.error_message());
  switch (s.error_code()) {
    case grpc::StatusCode::OK:
      return Status::Ok();
    case grpc::StatusCode::UNAVAILABLE:
      return UnavailableError("server unreachable at " + address + ": " + msg);
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return DeadlineExceededError(std::string(method) + ": no answer from " + address +
                                   " before the deadline");
    case grpc::StatusCode::CANCELLED:
      return CancelledError(std::string(method) + " cancelled");
    case grpc::StatusCode::NOT_FOUND:
      return NotFoundError(msg);
    case grpc::StatusCode::ALREADY_EXISTS:
      return AlreadyExistsError(msg);
    case grpc::StatusCode::INVALID_ARGUMENT:
      return InvalidArgumentError(msg);
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return UnavailableError("server busy (resource exhausted): " + msg);
    case grpc::StatusCode::UNAUTHENTICATED:
      return FailedPreconditionError("not authenticated by " + address + ": " + msg);
    case grpc::StatusCode::PERMISSION_DENIED:
      return FailedPreconditionError("permission denied: " + msg);
    case grpc::StatusCode::FAILED_PRECONDITION:
      return FailedPreconditionError(msg);
    default:
      return InternalError(std::string(method) + " failed (gRPC code " +
                           std::to_string(static_cast<int>(s.error_code())) + "): " + msg);
  }
}

// gRPC writes its own lines to stderr (e.g. "E1203 ... ssl_transport_security.cc:1420] Handshake
// failed ..." before a TLS error we report anyway). Errors are one line each, so its lines go to
// our logger at debug level instead (QUARRY_LOG_LEVEL=debug shows them).
void RouteGrpcLog(gpr_log_func_args* args) {
  log::Write(log::Level::kDebug, std::string("grpc: ") + (args->message ? args->message : ""),
             nullptr,
             nlohmann::json{{"file", args->file ? args->file : ""}, {"line", args->line}}.dump());
}

void InstallGrpcLogRouting() {
  static std::once_flag once;
  std::call_once(once, [] { gpr_set_log_function(&RouteGrpcLog); });
}

}  // namespace

WorkflowService::WorkflowService(const ConnectionOptions& options)
    : options_(options), stub_(std::make_unique<Stub>()) {}

WorkflowService::~WorkflowService() = default;

StatusOr<std::unique_ptr<WorkflowService>> WorkflowService::Connect(
    const ConnectionOptions& options) {
  if (options.address.empty()) return InvalidArgumentError("--address must not be empty");
  if (options.namespace_name.empty()) return InvalidArgumentError("--namespace must not be empty");
  InstallGrpcLogRouting();
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  // gRPC's reconnect backoff grows to 120 s by default: after a server restart the channel could
  // stay in TRANSIENT_FAILURE long after the server is back, and every retried report would fail
  // fast without trying. Reconnect at least every 5 s.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 500);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5'000);
  std::shared_ptr<grpc::ChannelCredentials> creds;
  const TlsOptions& tls = options.tls;
  if (tls.enabled || !options.api_key.empty() || !tls.ca_file.empty() || !tls.cert_file.empty() ||
      !tls.server_name.empty()) {
    grpc::SslCredentialsOptions ssl;
    QUARRY_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPem(options.tls.ca_file, "--tls-ca"));
    QUARRY_ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadPem(options.tls.cert_file, "--tls-cert"));
    QUARRY_ASSIGN_OR_RETURN(ssl.pem_private_key, ReadPem(options.tls.key_file, "--tls-key"));
    if (ssl.pem_cert_chain.empty() != ssl.pem_private_key.empty()) {
      return InvalidArgumentError("--tls-cert and --tls-key must be given together");
    }
    if (!options.tls.server_name.empty()) args.SetSslTargetNameOverride(options.tls.server_name);
    creds = grpc::SslCredentials(ssl);
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  auto channel = grpc::CreateCustomChannel(options.address, creds, args);
  std::unique_ptr<WorkflowService> svc(new WorkflowService(options));
  if (svc->options_.identity.empty()) svc->options_.identity = DefaultIdentity();
  svc->stub_->stub = wfs::WorkflowService::NewStub(channel);
  return svc;
}

template <typename Resp, typename Req, typename Call>
StatusOr<Resp> WorkflowService::Invoke(const char* method, const Req& req, CallKind kind,
                                       Call call) {
  const bool long_poll = kind == CallKind::kPoll;
  grpc::ClientContext ctx;
  auto deadline = kind == CallKind::kUnary ? options_.rpc_deadline : options_.long_poll_deadline;
  // A query waits for a worker to answer; with none polling it would hang for the whole deadline.
  if (kind == CallKind::kQuery) deadline = std::min(options_.rpc_deadline, kQueryDeadline);
  ctx.set_deadline(std::chrono::system_clock::now() + deadline);
  ctx.AddMetadata("temporal-namespace", options_.namespace_name);
  if (!options_.api_key.empty()) ctx.AddMetadata("authorization", "Bearer " + options_.api_key);
  if (long_poll) {
    std::lock_guard<std::mutex> lock(polls_mu_);
    if (polling_stopped_.load()) return CancelledError(std::string(method) + " cancelled");
    polls_.insert(&ctx);
  }
  Resp resp;
  grpc::Status s = call(&ctx, req, &resp);
  if (long_poll) {
    std::lock_guard<std::mutex> lock(polls_mu_);
    polls_.erase(&ctx);
  }
  if (!s.ok()) {
    Status st = FromGrpc(s, method, options_.address);
    if (st.code() == StatusCode::kUnavailable) NoteUnreachable(st);
    return st;
  }
  NoteReachable();
  return resp;
}

void WorkflowService::NoteUnreachable(const Status& s) {
  if (!options_.log_reachability) return;
  if (unreachable_.exchange(true)) return;
  log::Write(
      log::Level::kWarn,
      s.message() + "; retrying until it answers (finished tasks report their results then)");
}

void WorkflowService::NoteReachable() {
  if (!options_.log_reachability) return;
  if (!unreachable_.exchange(false)) return;
  log::Write(log::Level::kInfo, "server at " + options_.address + " is reachable again");
}

void WorkflowService::StopPolling() {
  std::lock_guard<std::mutex> lock(polls_mu_);
  polling_stopped_.store(true);
  for (grpc::ClientContext* ctx : polls_) ctx->TryCancel();
}

#define QUARRY_TEMPORAL_RPC(Name, kind)                                                         \
  StatusOr<wfs::Name##Response> WorkflowService::Name(const wfs::Name##Request& req) {          \
    auto* stub = stub_->stub.get();                                                             \
    return Invoke<wfs::Name##Response>(                                                         \
        #Name, req, kind,                                                                       \
        [stub](grpc::ClientContext* c, const wfs::Name##Request& r, wfs::Name##Response* out) { \
          return stub->Name(c, r, out);                                                         \
        });                                                                                     \
  }

QUARRY_TEMPORAL_RPC(PollWorkflowTaskQueue, CallKind::kPoll)
QUARRY_TEMPORAL_RPC(PollActivityTaskQueue, CallKind::kPoll)
QUARRY_TEMPORAL_RPC(RespondWorkflowTaskCompleted, CallKind::kUnary)
QUARRY_TEMPORAL_RPC(RespondWorkflowTaskFailed, CallKind::kUnary)
QUARRY_TEMPORAL_RPC(RespondQueryTaskCompleted, CallKind::kUnary)
QUARRY_TEMPORAL_RPC(RecordActivityTaskHeartbeat, CallKind::kUnary)
QUARRY_TEMPORAL_RPC(RespondActivityTaskCompleted, CallKind::kUnary)
QUARRY_TEMPORAL_RPC(RespondActivityTaskFailed, CallKind::kUnary)
QUARRY_TEMPORAL_RPC(RespondActivityTaskCanceled, CallKind::kUnary)
QUARRY_TEMPORAL_RPC(StartWorkflowExecution, CallKind::kUnary)
QUARRY_TEMPORAL_RPC(DescribeWorkflowExecution, CallKind::kUnary)
QUARRY_TEMPORAL_RPC(QueryWorkflow, CallKind::kQuery)
QUARRY_TEMPORAL_RPC(RequestCancelWorkflowExecution, CallKind::kUnary)
QUARRY_TEMPORAL_RPC(CreateSchedule, CallKind::kUnary)
QUARRY_TEMPORAL_RPC(DescribeSchedule, CallKind::kUnary)
QUARRY_TEMPORAL_RPC(ListSchedules, CallKind::kUnary)
QUARRY_TEMPORAL_RPC(DeleteSchedule, CallKind::kUnary)

#undef QUARRY_TEMPORAL_RPC

StatusOr<wfs::GetWorkflowExecutionHistoryResponse> WorkflowService::GetWorkflowExecutionHistory(
    const wfs::GetWorkflowExecutionHistoryRequest& req) {
  auto* stub = stub_->stub.get();
  // Waiting for new events is a server-side long poll, but not a task poll: StopPolling() must
  // not end it.
  return Invoke<wfs::GetWorkflowExecutionHistoryResponse>(
      "GetWorkflowExecutionHistory", req, req.wait_new_event() ? CallKind::kWait : CallKind::kUnary,
      [stub](grpc::ClientContext* c, const wfs::GetWorkflowExecutionHistoryRequest& r,
             wfs::GetWorkflowExecutionHistoryResponse* out) {
        return stub->GetWorkflowExecutionHistory(c, r, out);
      });
}

StatusOr<wfs::GetSystemInfoResponse> WorkflowService::GetSystemInfo() {
  auto* stub = stub_->stub.get();
  return Invoke<wfs::GetSystemInfoResponse>(
      "GetSystemInfo", wfs::GetSystemInfoRequest(), CallKind::kUnary,
      [stub](grpc::ClientContext* c, const wfs::GetSystemInfoRequest& r,
             wfs::GetSystemInfoResponse* out) { return stub->GetSystemInfo(c, r, out); });
}

}  // namespace quarry::temporal
