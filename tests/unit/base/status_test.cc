#include "quarry/status.h"

#include <gtest/gtest.h>

namespace quarry {
namespace {

StatusOr<int> Half(int v) {
  if (v % 2 != 0) return InvalidArgumentError("odd value");
  return v / 2;
}

Status UseHalf(int v, int* out) {
  QUARRY_ASSIGN_OR_RETURN(*out, Half(v));
  return Status::Ok();
}

TEST(StatusTest, PropagatesErrorsAndValues) {
  int out = 0;
  EXPECT_TRUE(UseHalf(4, &out).ok());
  EXPECT_EQ(out, 2);
  Status s = UseHalf(3, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.WithContext("halving").message(), "halving: odd value");
}

}  // namespace
}  // namespace quarry
