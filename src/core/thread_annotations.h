// Clang thread-safety annotations (as in leveldb's port/thread_annotations.h
// and Abseil's absl/base/thread_annotations.h): a mutex-guarded member says
// which mutex guards it, and clang's -Wthread-safety (on in every clang build
// of this project) turns a missed lock into a compile error. Other compilers
// see empty macros. Use core::Mutex / core::MutexLock (annotated wrappers over
// std::mutex) where the analysis must see the lock being taken.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>

#if defined(__clang__)
#define SCALELAB_TSA(x) __attribute__((x))
#else
#define SCALELAB_TSA(x)
#endif

#define CAPABILITY(x) SCALELAB_TSA(capability(x))
#define SCOPED_CAPABILITY SCALELAB_TSA(scoped_lockable)
#define GUARDED_BY(x) SCALELAB_TSA(guarded_by(x))
#define PT_GUARDED_BY(x) SCALELAB_TSA(pt_guarded_by(x))
#define ACQUIRED_BEFORE(...) SCALELAB_TSA(acquired_before(__VA_ARGS__))
#define ACQUIRED_AFTER(...) SCALELAB_TSA(acquired_after(__VA_ARGS__))
#define REQUIRES(...) SCALELAB_TSA(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) SCALELAB_TSA(requires_shared_capability(__VA_ARGS__))
#define ACQUIRE(...) SCALELAB_TSA(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) SCALELAB_TSA(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) SCALELAB_TSA(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) SCALELAB_TSA(release_shared_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) SCALELAB_TSA(try_acquire_capability(__VA_ARGS__))
#define EXCLUDES(...) SCALELAB_TSA(locks_excluded(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) SCALELAB_TSA(assert_capability(x))
#define RETURN_CAPABILITY(x) SCALELAB_TSA(lock_returned(x))
#define NO_THREAD_SAFETY_ANALYSIS SCALELAB_TSA(no_thread_safety_analysis)

namespace scalelab::core {

// std::mutex with the capability attribute, so clang can check GUARDED_BY.
class CAPABILITY("mutex") Mutex {
 public:
  void lock() ACQUIRE() { m_.lock(); }
  void unlock() RELEASE() { m_.unlock(); }
  bool try_lock() TRY_ACQUIRE(true) { return m_.try_lock(); }
  // For std::condition_variable, which needs the std::mutex itself.
  std::mutex& native() { return m_; }

 private:
  std::mutex m_;
};

// std::lock_guard for core::Mutex.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& m) ACQUIRE(m) : m_(m) { m_.lock(); }
  ~MutexLock() RELEASE() { m_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& m_;
};

// std::shared_mutex with the capability attribute: exclusive for writers,
// shared for readers (GUARDED_BY members may be read under either).
class CAPABILITY("shared_mutex") SharedMutex {
 public:
  void lock() ACQUIRE() { m_.lock(); }
  void unlock() RELEASE() { m_.unlock(); }
  void lock_shared() ACQUIRE_SHARED() { m_.lock_shared(); }
  void unlock_shared() RELEASE_SHARED() { m_.unlock_shared(); }

 private:
  std::shared_mutex m_;
};

// std::unique_lock for core::SharedMutex (a writer).
class SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex& m) ACQUIRE(m) : m_(m) { m_.lock(); }
  ~WriterLock() RELEASE() { m_.unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex& m_;
};

// std::shared_lock for core::SharedMutex (a reader).
class SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex& m) ACQUIRE_SHARED(m) : m_(m) { m_.lock_shared(); }
  ~ReaderLock() RELEASE() { m_.unlock_shared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex& m_;
};

// std::condition_variable for core::Mutex. The caller holds the mutex (a
// MutexLock) and re-checks its condition in its own loop, so the analysis
// sees every read of guarded state under the lock (a predicate lambda would
// be checked as a separate function that holds nothing).
class CondVar {
 public:
  // Releases mu while waiting and holds it again on return.
  void wait(Mutex& mu) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.native(), std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }
  // As wait(), until `t` at the latest; false when `t` passed.
  template <typename Clock, typename Duration>
  bool wait_until(Mutex& mu, const std::chrono::time_point<Clock, Duration>& t) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.native(), std::adopt_lock);
    const bool notified = cv_.wait_until(lock, t) == std::cv_status::no_timeout;
    lock.release();
    return notified;
  }
  template <typename Rep, typename Period>
  bool wait_for(Mutex& mu, const std::chrono::duration<Rep, Period>& d) REQUIRES(mu) {
    return wait_until(mu, std::chrono::steady_clock::now() + d);
  }
  void notify_one() { cv_.notify_one(); }
  void notify_all() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace scalelab::core
