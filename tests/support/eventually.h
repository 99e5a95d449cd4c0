// testkit::eventually: wait for a condition another thread or process makes
// true, instead of a hand-written sleep loop. Polls with a short backoff
// (1 ms growing to 20 ms) until pred() holds or the timeout passes; returns
// whether it held, so the caller asserts with its own message:
//   ASSERT_TRUE(testkit::eventually([&] { return active() == 0; }, 5s)) << active();
// Thread-safety: pred runs on the calling thread only.
#pragma once

#include <algorithm>
#include <chrono>
#include <thread>

namespace scalelab::testkit {

template <typename Pred>
bool eventually(Pred&& pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  using Clock = std::chrono::steady_clock;
  const auto until = Clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    if (pred()) return true;
    if (Clock::now() >= until) return pred();
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
        pause, std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()) +
                   std::chrono::milliseconds(1)));
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
}

}  // namespace scalelab::testkit
