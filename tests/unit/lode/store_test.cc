// The Store contract, run against the filesystem and the in-memory implementation alike.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <thread>

#include "lode/mem_store.h"
#include "lode/random_name.h"
#include "lode/s3/aws_credentials.h"
#include "lode/store_error.h"
#include "lode/test_support.h"
#include "lode/versitygw.h"
#include "quarry/lode/s3_store.h"
#include "quarry/lode/store.h"

namespace quarry::lode {
namespace {

enum class Kind { kFs, kMem, kS3 };

class StoreContractTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    if (GetParam() == Kind::kFs) {
      auto s = OpenFsStore(dir_.path());
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      store_ = *s;
    } else if (GetParam() == Kind::kS3) {
      std::string why;
      testing::Versitygw* gw = testing::Versitygw::Shared(&why);
      ASSERT_NE(gw, nullptr) << why;
      S3Options o;
      o.bucket = testing::Versitygw::kBucket;
      o.prefix = "contract-" + RandomHexSuffix();  // each test sees an empty store
      o.endpoint = gw->endpoint();
      o.path_style = true;
      o.region = "us-east-1";
      AwsEnvironment env;
      env.getenv = [](const std::string& k) -> std::optional<std::string> {
        if (k == "AWS_ACCESS_KEY_ID") return testing::Versitygw::kAccess;
        if (k == "AWS_SECRET_ACCESS_KEY") return testing::Versitygw::kSecret;
        return std::nullopt;
      };
      o.credentials = std::make_shared<AwsCredentialChain>(env);
      auto s = OpenS3Store(o);
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      store_ = *s;
    } else {
      store_ = NewMemStore();
    }
  }

  testing::TempDir dir_;
  std::shared_ptr<Store> store_;
};

TEST_P(StoreContractTest, PutThenGetRoundTripsBytes) {
  const std::string bytes("a\0b\nc", 5);
  ASSERT_TRUE(store_->Put("datasets/q/x/y/data", bytes).ok());
  auto got = store_->Get("datasets/q/x/y/data");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, bytes);
  ASSERT_TRUE(store_->Put("empty", "").ok());
  EXPECT_EQ(*store_->Get("empty"), "");
}

TEST_P(StoreContractTest, SecondPutToAPathFailsAndKeepsTheFirstBytes) {
  ASSERT_TRUE(store_->Put("a/b", "first").ok());
  Status st = store_->Put("a/b", "second");
  EXPECT_EQ(st.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(st.message().find("path already exists"), std::string::npos) << st.message();
  EXPECT_EQ(*store_->Get("a/b"), "first");
}

TEST_P(StoreContractTest, MissingObjectsAreNotFound) {
  auto got = store_->Get("nope/here");
  EXPECT_EQ(got.status().code(), StatusCode::kNotFound);
  auto exists = store_->Exists("nope/here");
  ASSERT_TRUE(exists.ok());
  EXPECT_FALSE(*exists);
  ASSERT_TRUE(store_->Put("nope/here", "x").ok());
  EXPECT_TRUE(*store_->Exists("nope/here"));
  // A "directory" is not an object.
  EXPECT_FALSE(*store_->Exists("nope"));
}

TEST_P(StoreContractTest, RejectsEmptyAbsoluteAndEscapingPaths) {
  for (std::string_view bad : {"", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a/."}) {
    EXPECT_EQ(store_->Put(bad, "x").code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(store_->Get(bad).status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(store_->CompareAndSwap(bad, "", "x").code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(store_->List("../").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->List("/abs/").status().code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreContractTest, ListIsRecursiveSortedAndRespectsTheSlash) {
  for (const char* p :
       {"datasets/quarry/segments/2/manifest.json", "datasets/quarry/segments/1/manifest.json",
        "datasets/quarry/partitions/a/b/c/data", "datasets/quarry-dev/segments/9/m",
        "datasets/quarry/latest"}) {
    ASSERT_TRUE(store_->Put(p, "x").ok()) << p;
  }
  auto keys = store_->List("datasets/quarry/");
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(*keys, (std::vector<std::string>{"datasets/quarry/latest",
                                             "datasets/quarry/partitions/a/b/c/data",
                                             "datasets/quarry/segments/1/manifest.json",
                                             "datasets/quarry/segments/2/manifest.json"}));
  EXPECT_EQ(store_->List("datasets/quarry/segments/")->size(), 2u);
  EXPECT_TRUE(store_->List("datasets/none/")->empty());
  EXPECT_EQ(store_->List("")->size(), 5u);
}

TEST_P(StoreContractTest, DeleteIsIdempotent) {
  ASSERT_TRUE(store_->Put("d/x", "1").ok());
  EXPECT_TRUE(store_->Delete("d/x").ok());
  EXPECT_TRUE(store_->Delete("d/x").ok());
  EXPECT_FALSE(*store_->Exists("d/x"));
}

// §4.7 compare-and-swap table.
TEST_P(StoreContractTest, CompareAndSwapFollowsTheTable) {
  const std::string p = "datasets/q/latest";
  // absent + non-empty expected -> conflict
  Status st = store_->CompareAndSwap(p, "1", "2");
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(st.message(), "snapshot conflict: another writer committed");
  EXPECT_FALSE(*store_->Exists(p));
  // absent + "" -> create
  ASSERT_TRUE(store_->CompareAndSwap(p, "", "1").ok());
  EXPECT_EQ(*store_->Get(p), "1");
  // present + matching -> replace
  ASSERT_TRUE(store_->CompareAndSwap(p, "1", "2").ok());
  EXPECT_EQ(*store_->Get(p), "2");
  // present + different -> conflict, unchanged
  EXPECT_EQ(store_->CompareAndSwap(p, "1", "3").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->CompareAndSwap(p, "", "3").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(*store_->Get(p), "2");
}

TEST_P(StoreContractTest, ConcurrentCompareAndSwapLetsExactlyOneWinPerValue) {
  // 4 threads each try to advance the pointer 50 times from what they read; every successful
  // swap must have seen the true previous value, so the final value counts all successes.
  const std::string p = "datasets/q/latest";
  ASSERT_TRUE(store_->CompareAndSwap(p, "", "0").ok());
  std::atomic<int> successes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto cur = store_->Get(p);
        if (!cur.ok()) continue;
        const std::string next = std::to_string(std::stoi(*cur) + 1);
        if (store_->CompareAndSwap(p, *cur, next).ok()) ++successes;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(*store_->Get(p), std::to_string(successes.load()));
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreContractTest,
                         ::testing::Values(Kind::kFs, Kind::kMem, Kind::kS3), [](const auto& p) {
                           return p.param == Kind::kFs    ? "Fs"
                                  : p.param == Kind::kMem ? "Mem"
                                                          : "S3";
                         });

TEST(FsStoreTest, RootMustExistAndBeADirectory) {
  testing::TempDir dir;
  auto missing = OpenFsStore(dir / "missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "init " + (dir / "missing") + ": not found");
  ASSERT_TRUE(std::filesystem::create_directory(dir / "d"));
  { std::ofstream(dir / "file") << "x"; }
  auto file = OpenFsStore(dir / "file");
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.status().message().find("not a directory"), std::string::npos);
  EXPECT_TRUE(OpenFsStore(dir / "d").ok());
}

TEST(FsStoreTest, RootIdIsTheResolvedDirectory) {
  testing::TempDir dir;
  ASSERT_TRUE(std::filesystem::create_directory(dir / "d"));
  auto a = OpenFsStore(dir / "d");
  auto b = OpenFsStore(dir / "d/../d/");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)->RootId(), (*b)->RootId());
  EXPECT_EQ((*a)->Backend(), "fs");
}

TEST(FsStoreTest, CasCreatesTheLockFileAndLeavesNoTemporaries) {
  testing::TempDir dir;
  auto store = *OpenFsStore(dir.path());
  ASSERT_TRUE(store->CompareAndSwap("datasets/q/latest", "", "123").ok());
  ASSERT_TRUE(store->CompareAndSwap("datasets/q/latest", "123", "456").ok());
  EXPECT_EQ(testing::ReadFile(dir / "datasets/q/latest"), "456");
  EXPECT_TRUE(std::filesystem::exists(dir / "datasets/q/latest.lock"));
  for (const auto& e : std::filesystem::directory_iterator(dir / "datasets/q")) {
    EXPECT_EQ(e.path().filename().string().find(".lode-"), std::string::npos) << e.path();
  }
}

TEST(FsStoreTest, UnwritableDirectoryIsPermissionDenied) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  testing::TempDir dir;
  auto store = *OpenFsStore(dir.path());
  ASSERT_TRUE(store->Put("ro/x", "1").ok());
  ::chmod((dir / "ro").c_str(), 0555);
  Status st = store->Put("ro/y", "1");
  ::chmod((dir / "ro").c_str(), 0755);
  EXPECT_EQ(StorageErrorKind(st), "permission denied") << st.message();
}

TEST(StorageErrorTest, FormatIsOpPathKindCause) {
  Status cause = AlreadyExistsError("datasets/q/x: path already exists");
  Status st = WrapStorageError("write", "quarry/shop/products/2026-03-22/run-001/item", cause);
  EXPECT_EQ(st.message(),
            "write quarry/shop/products/2026-03-22/run-001/item: path already exists: "
            "datasets/q/x: path already exists");
  EXPECT_EQ(st.code(), StatusCode::kAlreadyExists);
}

TEST(StorageErrorTest, NeitherPathNorKindIsSaidTwice) {
  Status cause = AlreadyExistsError("datasets/q/files/x: path already exists");
  EXPECT_EQ(WrapStorageError("write", "datasets/q/files/x", cause).message(),
            "write datasets/q/files/x: path already exists");
  Status io = IOError("datasets/q/files/x: Input/output error");
  EXPECT_EQ(WrapStorageError("write", "datasets/q/files/x", io).message(),
            "write datasets/q/files/x: storage error: Input/output error");
}

TEST(StorageErrorTest, KindsFollowTheTableInOrder) {
  auto kind = [](std::string m) { return StorageErrorKind(IOError(std::move(m))); };
  EXPECT_EQ(kind("PutObject: 403 Forbidden"), "access denied");
  EXPECT_EQ(kind("AccessDenied: nope"), "access denied");
  EXPECT_EQ(kind("open x: Permission denied"), "permission denied");
  EXPECT_EQ(kind("EEXIST"), "path already exists");
  EXPECT_EQ(kind("open x: No such file or directory"), "not found");
  EXPECT_EQ(kind("NoSuchKey"), "not found");
  EXPECT_EQ(kind("write x: No space left on device"), "no space left on device");
  EXPECT_EQ(kind("request timed out"), "operation timed out");
  EXPECT_EQ(kind("SlowDown: reduce your request rate"), "rate limited");
  EXPECT_EQ(kind("HTTP 429"), "rate limited");
  EXPECT_EQ(kind("InvalidAccessKeyId"), "authentication failed");
  EXPECT_EQ(kind("dial tcp: connection refused"), "network error");
  EXPECT_EQ(kind("something odd"), "storage error");
  // A timeout error type wins over any text; digits inside ids are not status codes.
  EXPECT_EQ(StorageErrorKind(DeadlineExceededError("connection refused")), "operation timed out");
  EXPECT_EQ(kind("datasets/q/segments/1774170900403500000/manifest.json: I/O error"),
            "storage error");
  EXPECT_EQ(StorageErrorKind(NotFoundError("x")), "not found");
}

TEST(MemStoreTest, HookCanFailAnyCallAndCountsCalls) {
  auto store = std::make_shared<MemStore>();
  int puts = 0;
  store->SetHook([&](StoreOp op, std::string_view, std::string_view) {
    if (op == StoreOp::kPut && ++puts == 2) return IOError("injected");
    return Status::Ok();
  });
  EXPECT_TRUE(store->Put("a", "1").ok());
  EXPECT_EQ(store->Put("b", "1").message(), "injected");
  EXPECT_TRUE(store->Put("b", "1").ok());
  EXPECT_EQ(store->Calls(StoreOp::kPut), 3u);
  EXPECT_NE(store->RootId(), MemStore().RootId());
}

}  // namespace
}  // namespace quarry::lode
