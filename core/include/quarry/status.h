// Status and StatusOr: the error currency of the core library.
//
// Every fallible operation returns a Status (or StatusOr<T>) carrying a code and a one-line
// message meant for a human operator. Codes are coarse; callers that need to distinguish
// finer failure kinds (e.g. the orchestrator's outcome classification) carry that in their
// own types rather than overloading codes.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace quarry {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad input from a caller or a peer
  kNotFound,            // a path, key or record does not exist
  kAlreadyExists,       // exclusive create hit an existing path
  kFailedPrecondition,  // state does not allow the operation (e.g. CAS conflict)
  kDataLoss,            // truncated or corrupt bytes
  kIOError,             // the OS or a remote store failed
  kCancelled,           // the caller asked to stop
  kDeadlineExceeded,    // a time limit passed
  kUnavailable,         // transient: retry may help
  kInternal,            // an invariant of ours broke
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "<message>" for errors, "OK" otherwise. Messages already read as sentences for users.
  std::string ToString() const { return ok() ? "OK" : message_; }

  // Returns a copy whose message is "<context>: <message>".
  Status WithContext(std::string_view context) const;

  bool operator==(const Status& other) const = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgumentError(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExistsError(std::string m) {
  return {StatusCode::kAlreadyExists, std::move(m)};
}
inline Status FailedPreconditionError(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status DataLossError(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
inline Status CancelledError(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
inline Status DeadlineExceededError(std::string m) {
  return {StatusCode::kDeadlineExceeded, std::move(m)};
}
inline Status UnavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// Holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const Status& status) : status_(status) { assert(!status_.ok()); }        // NOLINT
  StatusOr(Status&& status) : status_(std::move(status)) { assert(!status_.ok()); }  // NOLINT
  StatusOr(const T& value) : value_(value) {}                                        // NOLINT
  StatusOr(T&& value) : value_(std::move(value)) {}                                  // NOLINT

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace quarry

#define QUARRY_STATUS_CONCAT_INNER(a, b) a##b
#define QUARRY_STATUS_CONCAT(a, b) QUARRY_STATUS_CONCAT_INNER(a, b)

#define QUARRY_RETURN_IF_ERROR(expr)                         \
  do {                                                       \
    ::quarry::Status quarry_status_tmp_ = (expr);            \
    if (!quarry_status_tmp_.ok()) return quarry_status_tmp_; \
  } while (0)

#define QUARRY_ASSIGN_OR_RETURN(lhs, expr) \
  QUARRY_ASSIGN_OR_RETURN_IMPL(QUARRY_STATUS_CONCAT(quarry_statusor_, __LINE__), lhs, expr)
#define QUARRY_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
