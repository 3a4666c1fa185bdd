#include "client/connection_options.h"

#include <unistd.h>

#include <string>

namespace quarry::temporal {

std::string DefaultIdentity() {
  char host[256] = {0};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return std::to_string(::getpid()) + "@" + (host[0] ? host : "localhost");
}

}  // namespace quarry::temporal
