#include <cstdio>

int main() {
  std::puts("quarry");
  return 0;
}
