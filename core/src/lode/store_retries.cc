#include "quarry/lode/store.h"

namespace quarry::lode {
namespace {

thread_local uint64_t tls_retries = 0;

}  // namespace

uint64_t StoreRequestRetriesOnThisThread() { return tls_retries; }
void CountStoreRequestRetry() { ++tls_retries; }

}  // namespace quarry::lode
