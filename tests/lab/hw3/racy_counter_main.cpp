// The racy counter alone, for the tsan test to run as a child: prints the
// final value of a plain counter after THREADS x INCREMENTS racing updates.
#include <cstdio>
#include <cstdlib>

#include "lab/hw3/atomicity.h"

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 4;
  const int increments = argc > 2 ? std::atoi(argv[2]) : 10'000;
  std::printf("%llu\n", static_cast<unsigned long long>(scalelab::lab::hw3::racy_counter(threads, increments)));
  return 0;
}
