// The S3 store against a real S3-compatible server (versitygw: signatures checked, conditional
// writes honoured) and, for faults, against a scripted loopback server.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "lode/loopback_http.h"
#include "lode/object_path.h"
#include "lode/random_name.h"
#include "lode/s3/aws_credentials.h"
#include "lode/s3/s3_client.h"
#include "lode/store_error.h"
#include "lode/test_events.h"
#include "lode/versitygw.h"
#include "quarry/lode/reader.h"
#include "quarry/lode/run_writer.h"
#include "quarry/lode/s3_store.h"
#include "quarry/sha256.h"

namespace quarry::lode {
namespace {

using testing::HttpAnswer;
using testing::HttpRequest;
using testing::LoopbackHttpServer;
using testing::Versitygw;

std::shared_ptr<AwsCredentialChain> StaticKeys(std::string access, std::string secret) {
  AwsEnvironment env;
  env.getenv = [access, secret](const std::string& k) -> std::optional<std::string> {
    if (k == "AWS_ACCESS_KEY_ID") return access;
    if (k == "AWS_SECRET_ACCESS_KEY") return secret;
    return std::nullopt;
  };
  return std::make_shared<AwsCredentialChain>(env);
}

class S3VersitygwTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    gw_ = Versitygw::Shared(&why);
    ASSERT_NE(gw_, nullptr) << why;
    prefix_ = "s3test-" + RandomHexSuffix();
  }

  S3Options Options(std::string secret = Versitygw::kSecret) const {
    S3Options o;
    o.bucket = Versitygw::kBucket;
    o.prefix = prefix_;
    o.endpoint = gw_->endpoint();
    o.path_style = true;
    o.region = "us-east-1";
    o.credentials = StaticKeys(Versitygw::kAccess, std::move(secret));
    return o;
  }

  std::shared_ptr<Store> Open(S3Options o) {
    auto s = OpenS3Store(std::move(o));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : nullptr;
  }

  Versitygw* gw_ = nullptr;
  std::string prefix_;
};

// The server must refuse a second If-None-Match put with 412: a server that ignored the header
// would answer 200 and overwrite, and the store would report success.
TEST_F(S3VersitygwTest, SecondConditionalPutIsRefusedWith412) {
  S3Client client(Options());
  S3Call put;
  put.method = "PUT";
  put.key = prefix_ + "/once";
  put.headers = {{"If-None-Match", "*"}};
  put.body = "first";
  auto a = client.Call(put);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->status, 200);
  put.body = "second";
  auto b = client.Call(put);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->status, 412);
  EXPECT_EQ(b->code, "PreconditionFailed");

  auto store = Open(Options());
  ASSERT_TRUE(store);
  Status st = store->Put("once", "third");
  EXPECT_EQ(st.code(), StatusCode::kAlreadyExists) << st.ToString();
  EXPECT_EQ(*store->Get("once"), "first");
  // On disk (versitygw's posix backend) the object is still the first bytes.
  EXPECT_EQ(testing::ReadFile(gw_->bucket_dir() + "/" + prefix_ + "/once"), "first");
}

// A stale If-Match (the ETag before another writer's update) must get 412.
TEST_F(S3VersitygwTest, StaleIfMatchIsRefusedWith412) {
  S3Client client(Options());
  S3Call put;
  put.method = "PUT";
  put.key = prefix_ + "/latest";
  put.body = "1";
  ASSERT_EQ(client.Call(put)->status, 200);
  S3Call get;
  get.key = put.key;
  auto first = client.Call(get);
  ASSERT_TRUE(first.ok());
  ASSERT_NE(first->Header("etag"), nullptr);
  const std::string stale = *first->Header("etag");
  put.body = "2";
  ASSERT_EQ(client.Call(put)->status, 200);  // another writer moves the pointer
  put.headers = {{"If-Match", stale}};
  put.body = "3";
  auto r = client.Call(put);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 412);
  EXPECT_EQ(*client.Call(get)->body.data(), '2');

  // Through the store: a CAS from the value it read, raced by a direct overwrite, conflicts.
  auto store = Open(Options());
  ASSERT_TRUE(store);
  EXPECT_EQ(store->CompareAndSwap("latest", "1", "9").code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store->CompareAndSwap("latest", "2", "9").ok());
  EXPECT_EQ(*store->Get("latest"), "9");
}

// A wrong secret is refused with 403; the store's startup probe names the bucket, the endpoint
// and the S3 code, and never the secret.
TEST_F(S3VersitygwTest, WrongSecretIsRefusedWith403AndNeverPrinted) {
  const std::string wrong = "not-the-secret-XYZZY-42";
  S3Client client(Options(wrong));
  S3Call list;
  list.query = S3QueryString({{"list-type", "2"}});
  auto r = client.Call(list);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(r->code, "SignatureDoesNotMatch");
  EXPECT_EQ(r->attempts, 1) << "a 403 is not retried";

  auto s = OpenS3Store(Options(wrong));
  ASSERT_FALSE(s.ok());
  const std::string& m = s.status().message();
  EXPECT_NE(m.find("SignatureDoesNotMatch"), std::string::npos) << m;
  EXPECT_NE(m.find(Versitygw::kBucket), std::string::npos) << m;
  EXPECT_NE(m.find(gw_->endpoint()), std::string::npos) << m;
  EXPECT_EQ(m.find(wrong), std::string::npos) << m;
  EXPECT_EQ(StorageErrorKind(s.status()), "authentication failed");
}

TEST_F(S3VersitygwTest, MissingBucketFailsTheProbeNamingIt) {
  S3Options o = Options();
  o.bucket = "no-such-bucket-here";
  auto s = OpenS3Store(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("NoSuchBucket"), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("no-such-bucket-here"), std::string::npos);
}

TEST_F(S3VersitygwTest, MultipartAboveTheThresholdStoresTheExactBytesOnce) {
  S3Options o = Options();
  o.multipart_threshold = 1024 * 1024;
  o.part_size = 5 * 1024 * 1024;  // S3's minimum for every part but the last
  auto store = Open(o);
  ASSERT_TRUE(store);
  std::string big(11 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 131) >> 7);
  ASSERT_TRUE(store->Put("big/object", big).ok());
  auto got = store->Get("big/object");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(*got == big) << "multipart bytes differ";
  EXPECT_EQ(store->Put("big/object", big).code(), StatusCode::kAlreadyExists);
  // A range across the first part boundary.
  auto range = store->GetRange("big/object", 5 * 1024 * 1024 - 3, 10);
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(*range, big.substr(5 * 1024 * 1024 - 3, 10));
}

TEST_F(S3VersitygwTest, RangeReadsClipAtTheEnd) {
  auto store = Open(Options());
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Put("r/obj", "0123456789").ok());
  EXPECT_EQ(*store->GetRange("r/obj", 2, 3), "234");
  EXPECT_EQ(*store->GetRange("r/obj", 8, 100), "89");
  EXPECT_EQ(*store->GetRange("r/obj", 10, 5), "");
  EXPECT_EQ(store->GetRange("r/none", 0, 5).status().code(), StatusCode::kNotFound);
}

TEST_F(S3VersitygwTest, ListingFollowsContinuationTokensAndStripsThePrefix) {
  S3Options o = Options();
  o.list_page_size = 2;
  auto store = Open(o);
  ASSERT_TRUE(store);
  std::vector<std::string> want;
  for (int i = 0; i < 7; ++i) {
    // Partition-style keys with '=' and escaped bytes survive the round trip.
    want.push_back("datasets/q/partitions/source=shop%20eu%2F1/k" + std::to_string(i));
    ASSERT_TRUE(store->Put(want.back(), "x").ok());
  }
  ASSERT_TRUE(store->Put("datasets/q-dev/other", "x").ok());
  auto keys = store->List("datasets/q/");
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(*keys, want);
}

// Writers of one process on one S3 store share a committer: concurrent writes coalesce into fewer
// snapshots, every event lands exactly once, and the history is one chain.
TEST_F(S3VersitygwTest, ConcurrentWritersInOneProcessCoalesceOnOneChain) {
  auto store = Open(Options());
  ASSERT_TRUE(store);
  constexpr int kThreads = 4;
  constexpr int kWrites = 15;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      RunDescriptor run = testing::ExampleRun();
      run.run_id = "t" + std::to_string(t);
      RunWriter w(store, run, testing::FastOptions());
      for (int i = 1; i <= kWrites; ++i) {
        testing::EventSpec e;
        e.run_id = run.run_id;
        e.seq = i;
        e.event_id = run.run_id + "#" + std::to_string(i);
        if (!w.WriteEvents(std::vector<Event>{testing::MakeEvent(e)}).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto chain = WalkChain(*store, "quarry");
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  auto all = ListCanonicalManifests(*store, "quarry");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(chain->size(), all->size()) << "a snapshot is not on the chain";
  std::multiset<std::string> events;
  for (const Manifest& m : *chain) {
    auto records = ReadSnapshotRecords(*store, m);
    ASSERT_TRUE(records.ok()) << records.status().ToString();
    for (const auto& r : *records) events.insert(r["event_id"]);
  }
  EXPECT_EQ(events.size(), static_cast<size_t>(kThreads * kWrites));
  EXPECT_EQ(std::set<std::string>(events.begin(), events.end()).size(), events.size());
  EXPECT_LT(chain->size(), static_cast<size_t>(kThreads * kWrites)) << "nothing coalesced";
}

// --- faults, against a scripted server --------------------------------------------------------

S3Options FakeOptions(const LoopbackHttpServer& server) {
  S3Options o;
  o.bucket = "b";
  o.endpoint = server.url();
  o.path_style = true;
  o.region = "us-east-1";
  o.credentials = StaticKeys("AKIDFAKE", "fake-secret-never-printed");
  o.backoff_base = std::chrono::milliseconds(1);
  o.backoff_cap = std::chrono::milliseconds(5);
  o.request_timeout = std::chrono::milliseconds(500);
  o.probe = false;
  return o;
}

HttpAnswer SlowDown() {
  return {
      503,
      {},
      "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"};
}

TEST(S3FaultTest, TransientFailuresAreRetriedAndCounted) {
  std::atomic<int> n{0};
  LoopbackHttpServer server([&](const HttpRequest&) -> HttpAnswer {
    switch (++n) {
      case 1:
        return SlowDown();
      case 2:
        return {500, {}, "<Error><Code>InternalError</Code></Error>"};
      default:
        return {200, {{"ETag", "\"e\""}}, ""};
    }
  });
  auto store = OpenS3Store(FakeOptions(server));
  ASSERT_TRUE(store.ok());
  const uint64_t before = StoreRequestRetriesOnThisThread();
  EXPECT_TRUE((*store)->Put("a/b", "x").ok());
  EXPECT_EQ(StoreRequestRetriesOnThisThread() - before, 2u);
  EXPECT_EQ(n.load(), 3);
}

TEST(S3FaultTest, DroppedConnectionsAndSlowAnswersAreRetried) {
  std::atomic<int> n{0};
  LoopbackHttpServer server([&](const HttpRequest&) -> HttpAnswer {
    const int i = ++n;
    if (i == 1) return testing::Dropped();
    if (i == 2) return testing::Delayed(std::chrono::milliseconds(900), 200, "late");
    return {200, {}, "on time"};
  });
  auto store = OpenS3Store(FakeOptions(server));
  ASSERT_TRUE(store.ok());
  auto got = (*store)->Get("k");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "on time");
  EXPECT_EQ(n.load(), 3);
}

TEST(S3FaultTest, ExhaustedRetriesFailWithTheCodeAndTheCount) {
  std::atomic<int> n{0};
  LoopbackHttpServer server([&](const HttpRequest&) {
    ++n;
    return SlowDown();
  });
  auto store = OpenS3Store(FakeOptions(server));
  ASSERT_TRUE(store.ok());
  Status st = (*store)->Put("datasets/q/x", "x");
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("SlowDown"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("after 3 attempts"), std::string::npos) << st.message();
  EXPECT_EQ(StorageErrorKind(st), "rate limited");
  EXPECT_EQ(n.load(), 3);
  EXPECT_EQ(st.message().find("fake-secret"), std::string::npos);
}

TEST(S3FaultTest, ClientErrorsAndConditionalFailuresAreNotRetried) {
  std::atomic<int> n{0};
  LoopbackHttpServer server([&](const HttpRequest& r) -> HttpAnswer {
    ++n;
    if (r.method == "PUT") return {412, {}, "<Error><Code>PreconditionFailed</Code></Error>"};
    return {403, {}, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"};
  });
  auto store = OpenS3Store(FakeOptions(server));
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->Put("k", "x").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(n.load(), 1);
  Status st = (*store)->Get("k").status();
  EXPECT_EQ(StorageErrorKind(st), "access denied") << st.message();
  EXPECT_EQ(n.load(), 2);
}

// A put whose first try landed but whose answer was lost is retried into a 412; the store reads
// the object back and counts its own bytes as success instead of "path already exists".
TEST(S3FaultTest, RetriedPutThatHadLandedIsASuccess) {
  std::atomic<int> n{0};
  std::mutex mu;
  std::string stored;
  LoopbackHttpServer server([&](const HttpRequest& r) -> HttpAnswer {
    const int i = ++n;
    std::lock_guard<std::mutex> lock(mu);
    if (r.method == "PUT") {
      if (i == 1) {
        stored = r.body;
        return testing::Dropped();
      }
      return {412, {}, "<Error><Code>PreconditionFailed</Code></Error>"};
    }
    return {200, {}, stored};
  });
  auto store = OpenS3Store(FakeOptions(server));
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE((*store)->Put("k", "mine").ok());
  EXPECT_EQ((*store)->Put("k", "other").code(), StatusCode::kAlreadyExists);
}

TEST(S3FaultTest, UnreachableEndpointIsANetworkErrorNamingIt) {
  S3Options o;
  o.bucket = "b";
  o.endpoint = "http://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
  o.path_style = true;
  o.credentials = StaticKeys("AKIDFAKE", "fake-secret");
  o.backoff_base = std::chrono::milliseconds(1);
  auto s = OpenS3Store(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find(o.endpoint), std::string::npos) << s.status().message();
  EXPECT_EQ(StorageErrorKind(s.status()), "network error") << s.status().message();
}

// One handle pool per store: many requests, one connection (keep-alive).
TEST(S3FaultTest, RequestsReuseOneConnection) {
  LoopbackHttpServer server([](const HttpRequest&) { return HttpAnswer{200, {}, "x"}; });
  auto store = OpenS3Store(FakeOptions(server));
  ASSERT_TRUE(store.ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE((*store)->Get("k").ok());
  EXPECT_EQ(server.requests(), 20);
  EXPECT_EQ(server.connections(), 1);
}

TEST(S3FaultTest, RequestsAreSignedWithThePayloadHashAndTheSessionToken) {
  std::mutex mu;
  HttpRequest seen;
  LoopbackHttpServer server([&](const HttpRequest& r) {
    std::lock_guard<std::mutex> lock(mu);
    seen = r;
    return HttpAnswer{200, {}, ""};
  });
  S3Options o = FakeOptions(server);
  AwsEnvironment env;
  env.getenv = [](const std::string& k) -> std::optional<std::string> {
    if (k == "AWS_ACCESS_KEY_ID") return "AKIDTOKEN";
    if (k == "AWS_SECRET_ACCESS_KEY") return "s";
    if (k == "AWS_SESSION_TOKEN") return "session-token-1";
    return std::nullopt;
  };
  o.credentials = std::make_shared<AwsCredentialChain>(env);
  auto store = OpenS3Store(o);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put("datasets/q/source=a b/x", "hello").ok());
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(seen.target, "/b/datasets/q/source%3Da%20b/x");
  EXPECT_EQ(seen.headers["if-none-match"], "*");
  EXPECT_EQ(seen.headers["x-amz-content-sha256"], Sha256Hex("hello"));
  EXPECT_EQ(seen.headers["x-amz-security-token"], "session-token-1");
  const std::string& auth = seen.headers["authorization"];
  EXPECT_EQ(auth.rfind("AWS4-HMAC-SHA256 Credential=AKIDTOKEN/", 0), 0u) << auth;
  EXPECT_NE(auth.find("/us-east-1/s3/aws4_request"), std::string::npos) << auth;
  EXPECT_NE(auth.find("x-amz-content-sha256"), std::string::npos) << auth;
  EXPECT_NE(auth.find("x-amz-security-token"), std::string::npos) << auth;
}

TEST(S3PathTest, BucketAndPrefixSplitAtTheFirstSlash) {
  auto a = SplitS3StoragePath("bucket/a/b/");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first, "bucket");
  EXPECT_EQ(a->second, "a/b/");
  EXPECT_EQ(SplitS3StoragePath("bucket")->second, "");
  EXPECT_NE(SplitS3StoragePath("s3://bucket/x").status().message().find("s3://"),
            std::string::npos);
  EXPECT_NE(SplitS3StoragePath("/x").status().message().find("bucket name is empty"),
            std::string::npos);
  EXPECT_FALSE(SplitS3StoragePath("").ok());
}

TEST(S3PathTest, QueryStringsAreCanonical) {
  EXPECT_EQ(S3QueryString({{"prefix", "a/b c"}, {"list-type", "2"}, {"uploads", ""}}),
            "list-type=2&prefix=a%2Fb%20c&uploads=");
}

}  // namespace
}  // namespace quarry::lode
