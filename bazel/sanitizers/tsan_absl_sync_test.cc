// Properly synchronized uses of each absl primitive that tsan_absl_sync.cc
// annotates. Under --config=tsan a missing or wrong annotation shows up here
// as a TSan report (the test then fails); elsewhere it is a plain test.
#include <thread>
#include <vector>

#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace {

constexpr int kThreads = 4;

TEST(TsanAbslSyncTest, MutexLockAndReaderLock) {
  absl::Mutex mu;
  int value = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (i % 2 == 0) {
          absl::MutexLock lock(&mu);
          ++value;
        } else {
          absl::ReaderMutexLock lock(&mu);
          EXPECT_GE(value, 0);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(value, kThreads * 100);
}

TEST(TsanAbslSyncTest, TryLock) {
  absl::Mutex mu;
  int value = 0;
  std::thread other([&] {
    for (int i = 0; i < 100; ++i) {
      while (!mu.TryLock()) std::this_thread::yield();
      ++value;
      mu.Unlock();
    }
  });
  for (int i = 0; i < 100; ++i) {
    absl::MutexLock lock(&mu);
    ++value;
  }
  other.join();
  EXPECT_EQ(value, 200);
}

// Conditions are evaluated by whichever thread unlocks; the waiter then
// writes what the condition read.
TEST(TsanAbslSyncTest, AwaitAndLockWhen) {
  absl::Mutex mu;
  int stage = 0;
  std::thread waiter([&] {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](int* s) { return *s == 1; }, &stage));
    stage = 2;
    EXPECT_TRUE(mu.AwaitWithTimeout(absl::Condition(
                                        +[](int* s) { return *s == 3; }, &stage),
                                    absl::Seconds(30)));
    stage = 4;
  });
  {
    absl::MutexLock lock(&mu);
    stage = 1;
  }
  mu.LockWhen(absl::Condition(
      +[](int* s) { return *s == 2; }, &stage));
  stage = 3;
  mu.Unlock();
  EXPECT_TRUE(mu.LockWhenWithTimeout(absl::Condition(
                                         +[](int* s) { return *s == 4; }, &stage),
                                     absl::Seconds(30)));
  stage = 5;
  mu.Unlock();
  waiter.join();
  EXPECT_EQ(stage, 5);
}

TEST(TsanAbslSyncTest, CondVar) {
  absl::Mutex mu;
  absl::CondVar cv;
  bool ready = false;
  int payload = 0;
  std::thread consumer([&] {
    absl::MutexLock lock(&mu);
    while (!ready) cv.Wait(&mu);
    EXPECT_EQ(payload, 7);
    payload = 8;
    cv.Signal();
  });
  {
    absl::MutexLock lock(&mu);
    payload = 7;
    ready = true;
    cv.Signal();
    while (payload != 8) cv.WaitWithTimeout(&mu, absl::Milliseconds(10));
    payload = 9;
  }
  consumer.join();
}

// The notified thread may see Notify() on the library's fast path (an
// atomic load inside it) or through the inline HasBeenNotified().
TEST(TsanAbslSyncTest, Notification) {
  for (int round = 0; round < 20; ++round) {
    int payload = 0;
    absl::Notification done;
    std::thread notifier([&] {
      payload = round;
      done.Notify();
    });
    if (round % 2 == 0) {
      EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
    } else {
      while (!done.HasBeenNotified()) std::this_thread::yield();
    }
    EXPECT_EQ(payload, round);
    payload = -1;
    notifier.join();
  }
}

TEST(TsanAbslSyncTest, BlockingCounter) {
  std::vector<int> slots(kThreads, 0);
  absl::BlockingCounter counter(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      slots[t] = t + 1;
      counter.DecrementCount();
    });
  }
  counter.Wait();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(slots[t], t + 1);
  for (auto& thread : threads) thread.join();
}

}  // namespace
