// ConnectionOptions reach the wire: TLS with a custom CA, and the API key as
// `authorization: Bearer <key>` (which implies TLS), checked by an in-process TLS gRPC server.
// The server is a generic one, so this test does not include the generated service header.
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "client/workflow_service.h"

namespace quarry::temporal {
namespace {

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Answers every call with an empty message and records what the client sent.
class RecordingTlsServer {
 public:
  RecordingTlsServer(const std::string& cert, const std::string& key) {
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({key, cert});
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(ssl), &port_);
    builder.RegisterAsyncGenericService(&service_);
    cq_ = builder.AddCompletionQueue();
    server_ = builder.BuildAndStart();
    thread_ = std::thread([this] { Serve(); });
  }
  ~RecordingTlsServer() {
    server_->Shutdown();
    cq_->Shutdown();
    thread_.join();
    void* tag = nullptr;
    bool ok = false;
    while (cq_->Next(&tag, &ok)) {
    }
  }

  int port() const { return port_; }
  std::string method() {
    std::lock_guard<std::mutex> lock(mu_);
    return method_;
  }
  std::string authorization() {
    std::lock_guard<std::mutex> lock(mu_);
    return authorization_;
  }
  std::string transport() {
    std::lock_guard<std::mutex> lock(mu_);
    return transport_;
  }

 private:
  // Serves one call (each test makes at most one), so nothing re-arms during shutdown.
  void Serve() {
    grpc::GenericServerContext ctx;
    grpc::GenericServerAsyncReaderWriter stream(&ctx);
    service_.RequestCall(&ctx, &stream, cq_.get(), cq_.get(), this);
    void* tag = nullptr;
    bool ok = false;
    if (!cq_->Next(&tag, &ok) || !ok) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      method_ = ctx.method();
      auto md = ctx.client_metadata().find("authorization");
      authorization_ = md == ctx.client_metadata().end()
                           ? ""
                           : std::string(md->second.data(), md->second.size());
      auto tls = ctx.auth_context()->FindPropertyValues("transport_security_type");
      transport_ = tls.empty() ? "" : std::string(tls[0].data(), tls[0].size());
    }
    grpc::ByteBuffer request;
    stream.Read(&request, this);
    if (!cq_->Next(&tag, &ok)) return;
    // One empty slice: a present, zero-length message (valid for any proto with no fields set).
    grpc::Slice nothing(std::string{});
    grpc::ByteBuffer response(&nothing, 1);
    stream.WriteAndFinish(response, grpc::WriteOptions(), grpc::Status::OK, this);
    cq_->Next(&tag, &ok);
  }

  int port_ = 0;
  grpc::AsyncGenericService service_;
  std::unique_ptr<grpc::ServerCompletionQueue> cq_;
  std::unique_ptr<grpc::Server> server_;
  std::thread thread_;
  std::mutex mu_;
  std::string method_, authorization_, transport_;
};

class TemporalConnectionTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     ("quarry-tls-" + std::to_string(::getpid())));
    std::filesystem::create_directories(*dir_);
    std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
        "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
        (*dir_ / "key.pem").string() + " -out " + (*dir_ / "cert.pem").string() +
        " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl could not make a test certificate";
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  ConnectionOptions Options(int port) {
    ConnectionOptions o;
    o.address = "localhost:" + std::to_string(port);
    o.tls.ca_file = (*dir_ / "cert.pem").string();
    o.rpc_deadline = std::chrono::milliseconds(5000);
    return o;
  }

  static std::filesystem::path* dir_;
};

std::filesystem::path* TemporalConnectionTlsTest::dir_ = nullptr;

TEST_F(TemporalConnectionTlsTest, ApiKeyIsSentAsBearerTokenOverTls) {
  RecordingTlsServer server(ReadFile(*dir_ / "cert.pem"), ReadFile(*dir_ / "key.pem"));
  ConnectionOptions o = Options(server.port());
  o.api_key = "s3cret-key";  // no explicit --tls: the API key implies it
  auto service = WorkflowService::Connect(o);
  ASSERT_TRUE(service.ok()) << service.status().message();
  auto info = (*service)->GetSystemInfo();
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_EQ(server.method(), "/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo");
  EXPECT_EQ(server.authorization(), "Bearer s3cret-key");
  EXPECT_EQ(server.transport(), "ssl");
}

TEST_F(TemporalConnectionTlsTest, TlsWithoutApiKeySendsNoAuthorization) {
  RecordingTlsServer server(ReadFile(*dir_ / "cert.pem"), ReadFile(*dir_ / "key.pem"));
  ConnectionOptions o = Options(server.port());
  o.tls.enabled = true;
  auto service = WorkflowService::Connect(o);
  ASSERT_TRUE(service.ok()) << service.status().message();
  ASSERT_TRUE((*service)->GetSystemInfo().ok());
  EXPECT_EQ(server.authorization(), "");
  EXPECT_EQ(server.transport(), "ssl");
}

TEST_F(TemporalConnectionTlsTest, UntrustedCertificateFailsWithOneLine) {
  RecordingTlsServer server(ReadFile(*dir_ / "cert.pem"), ReadFile(*dir_ / "key.pem"));
  ConnectionOptions o = Options(server.port());
  o.tls.ca_file.clear();  // system roots do not trust the self-signed certificate
  o.tls.enabled = true;
  auto service = WorkflowService::Connect(o);
  ASSERT_TRUE(service.ok());
  auto info = (*service)->GetSystemInfo();
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().message().find('\n'), std::string::npos) << info.status().message();
  EXPECT_EQ(server.method(), "") << "the call must not reach the server";
}

TEST_F(TemporalConnectionTlsTest, MissingCaFileIsAClearError) {
  ConnectionOptions o = Options(1);
  o.tls.ca_file = (*dir_ / "missing.pem").string();
  auto service = WorkflowService::Connect(o);
  ASSERT_FALSE(service.ok());
  EXPECT_NE(service.status().message().find("--tls-ca"), std::string::npos)
      << service.status().message();
}

}  // namespace
}  // namespace quarry::temporal
