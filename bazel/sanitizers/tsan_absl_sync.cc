// ThreadSanitizer annotations for Debian's (uninstrumented) absl::Mutex,
// absl::CondVar and absl::Notification. Linked only into --config=tsan tests
// (//bazel/sanitizers:tsan_absl_sync, added by lg_cc_test).
//
// libabsl_synchronization.so orders threads with its own atomics and raw
// futex calls, which ThreadSanitizer cannot see: without help every field
// guarded by an absl::Mutex looks racy. The test executable therefore
// defines (and exports) the entry points below under their mangled names.
// The dynamic linker resolves every call to them -- from the project's code,
// from gRPC and from inside libabsl_synchronization.so itself -- to these
// wrappers, which call the real function (dlsym RTLD_NEXT) and tell TSan
// what it did, with the same __tsan_mutex_* annotations abseil makes when it
// is itself built with -fsanitize=thread:
//   - a lock is announced once the real call returns holding the mutex, an
//     unlock before the real call gives it up, so TSan's idea of who holds a
//     mutex always lies inside the real holding;
//   - Await and CondVar waits release before and re-acquire after;
//   - a Condition evaluated inside the library (abseil evaluates waiters'
//     conditions in whichever thread unlocks) runs inside an announced
//     lock/unlock of the mutex being operated on, as it really holds it;
//   - Notification::Notify releases on the Notification and on its flag,
//     WaitForNotification* acquires (its fast path is a plain atomic load
//     inside the library); BlockingCounter likewise;
//   - the library calls some of these itself (LockWhenWithTimeout jumps to
//     LockWhenWithDeadline): only the outermost call on a mutex annotates.
// The real code still does the locking: these only annotate it.

#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "absl/base/config.h"
#include "absl/base/macros.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

// The mangled names below spell abseil's inline namespace; a new Debian
// abseil must fail here rather than silently annotate nothing.
#define LG_NS_STR2(x) #x
#define LG_NS_STR(x) LG_NS_STR2(x)
static_assert(std::string_view(LG_NS_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME)) == "debian3",
              "update the mangled names in tsan_absl_sync.cc (and its BUILD) for this abseil");
// Notification is {Mutex mutex_; std::atomic<bool> notified_yet_;}.
static_assert(sizeof(absl::Mutex) == sizeof(intptr_t), "absl::Mutex layout changed");
static_assert(sizeof(absl::Notification) == 2 * sizeof(absl::Mutex), "Notification layout changed");

#define LG_ABSL(s) "_ZN4absl7debian3" s
#define LG_ABSL_CONST(s) "_ZNK4absl7debian3" s

namespace {

using absl::Condition;
using absl::CondVar;
using absl::Duration;
using absl::Mutex;
using absl::Notification;
using absl::Time;

// absl::Mutex's word: bit 0x1 is "reader held", 0x8 "writer held".
constexpr intptr_t kMuWriter = 0x0008;

// The mutex whose operation this thread is inside (for Condition::Eval).
struct Op {
  void* mu;
  unsigned flags;
};
thread_local Op current_op = {nullptr, 0};

class InOp {
 public:
  InOp(void* mu, unsigned flags) : saved_(current_op) { current_op = {mu, flags}; }
  ~InOp() { current_op = saved_; }
  InOp(const InOp&) = delete;
  InOp& operator=(const InOp&) = delete;

 private:
  Op saved_;
};

// True inside a wrapped operation on `mu` in this thread: the library calls
// its own entry points (LockWhenWithTimeout jumps to LockWhenWithDeadline,
// AwaitWithTimeout to AwaitWithDeadline, ...); only the outermost annotates.
bool Nested(const void* mu) { return current_op.mu == mu; }

void* Resolve(const char* name) {
  void* fn = dlsym(RTLD_NEXT, name);
  if (fn == nullptr) {
    std::fprintf(stderr, "tsan_absl_sync: %s not found after the executable: %s\n", name,
                 dlerror());
    std::abort();
  }
  return fn;
}

template <typename Fn>
Fn Real(const char* name) {
  return reinterpret_cast<Fn>(Resolve(name));
}

void Locked(void* mu, unsigned flags) {
  __tsan_mutex_pre_lock(mu, flags);
  __tsan_mutex_post_lock(mu, flags, 0);
}

void Unlocking(void* mu, unsigned flags) {
  __tsan_mutex_pre_unlock(mu, flags);
  __tsan_mutex_post_unlock(mu, flags);
}

// Reader or writer, for calls made with the mutex held either way.
unsigned HeldMode(const Mutex* mu) {
  const intptr_t word =
      reinterpret_cast<const std::atomic<intptr_t>*>(mu)->load(std::memory_order_relaxed);
  return (word & kMuWriter) != 0 ? 0u : unsigned{__tsan_mutex_read_lock};
}

void* NotifiedFlag(const Notification* n) {
  return const_cast<char*>(reinterpret_cast<const char*>(n)) + sizeof(Mutex);
}

}  // namespace

#define LG_WRAP(ret, wrapper, sym, ...)                     \
  extern "C" ret wrapper(__VA_ARGS__) __asm__(sym);         \
  using wrapper##_fn = ret (*)(__VA_ARGS__);                \
  static wrapper##_fn wrapper##_real() {                    \
    static const wrapper##_fn fn = Real<wrapper##_fn>(sym); \
    return fn;                                              \
  }                                                         \
  extern "C" ret wrapper(__VA_ARGS__)

// ---- Mutex: locking ----

LG_WRAP(void, lg_Lock, LG_ABSL("5Mutex4LockEv"), Mutex* mu) {
  if (Nested(mu)) return lg_Lock_real()(mu);
  {
    InOp op(mu, 0);
    lg_Lock_real()(mu);
  }
  Locked(mu, 0);
}

LG_WRAP(void, lg_ReaderLock, LG_ABSL("5Mutex10ReaderLockEv"), Mutex* mu) {
  if (Nested(mu)) return lg_ReaderLock_real()(mu);
  {
    InOp op(mu, __tsan_mutex_read_lock);
    lg_ReaderLock_real()(mu);
  }
  Locked(mu, __tsan_mutex_read_lock);
}

LG_WRAP(bool, lg_TryLock, LG_ABSL("5Mutex7TryLockEv"), Mutex* mu) {
  if (Nested(mu)) return lg_TryLock_real()(mu);
  bool ok;
  {
    InOp op(mu, 0);
    ok = lg_TryLock_real()(mu);
  }
  if (ok) Locked(mu, __tsan_mutex_try_lock);
  return ok;
}

LG_WRAP(bool, lg_ReaderTryLock, LG_ABSL("5Mutex13ReaderTryLockEv"), Mutex* mu) {
  if (Nested(mu)) return lg_ReaderTryLock_real()(mu);
  bool ok;
  {
    InOp op(mu, __tsan_mutex_read_lock);
    ok = lg_ReaderTryLock_real()(mu);
  }
  if (ok) Locked(mu, __tsan_mutex_try_read_lock);
  return ok;
}

LG_WRAP(void, lg_LockWhen, LG_ABSL("5Mutex8LockWhenERKNS0_9ConditionE"), Mutex* mu,
        const Condition& cond) {
  if (Nested(mu)) return lg_LockWhen_real()(mu, cond);
  {
    InOp op(mu, 0);
    lg_LockWhen_real()(mu, cond);
  }
  Locked(mu, 0);
}

LG_WRAP(void, lg_ReaderLockWhen, LG_ABSL("5Mutex14ReaderLockWhenERKNS0_9ConditionE"), Mutex* mu,
        const Condition& cond) {
  if (Nested(mu)) return lg_ReaderLockWhen_real()(mu, cond);
  {
    InOp op(mu, __tsan_mutex_read_lock);
    lg_ReaderLockWhen_real()(mu, cond);
  }
  Locked(mu, __tsan_mutex_read_lock);
}

// The *WithTimeout/*WithDeadline forms return holding the mutex either way.
LG_WRAP(bool, lg_LockWhenWithTimeout,
        LG_ABSL("5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE"), Mutex* mu,
        const Condition& cond, Duration timeout) {
  if (Nested(mu)) return lg_LockWhenWithTimeout_real()(mu, cond, timeout);
  bool ok;
  {
    InOp op(mu, 0);
    ok = lg_LockWhenWithTimeout_real()(mu, cond, timeout);
  }
  Locked(mu, 0);
  return ok;
}

LG_WRAP(bool, lg_LockWhenWithDeadline,
        LG_ABSL("5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE"), Mutex* mu,
        const Condition& cond, Time deadline) {
  if (Nested(mu)) return lg_LockWhenWithDeadline_real()(mu, cond, deadline);
  bool ok;
  {
    InOp op(mu, 0);
    ok = lg_LockWhenWithDeadline_real()(mu, cond, deadline);
  }
  Locked(mu, 0);
  return ok;
}

LG_WRAP(bool, lg_ReaderLockWhenWithTimeout,
        LG_ABSL("5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE"), Mutex* mu,
        const Condition& cond, Duration timeout) {
  if (Nested(mu)) return lg_ReaderLockWhenWithTimeout_real()(mu, cond, timeout);
  bool ok;
  {
    InOp op(mu, __tsan_mutex_read_lock);
    ok = lg_ReaderLockWhenWithTimeout_real()(mu, cond, timeout);
  }
  Locked(mu, __tsan_mutex_read_lock);
  return ok;
}

LG_WRAP(bool, lg_ReaderLockWhenWithDeadline,
        LG_ABSL("5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE"), Mutex* mu,
        const Condition& cond, Time deadline) {
  if (Nested(mu)) return lg_ReaderLockWhenWithDeadline_real()(mu, cond, deadline);
  bool ok;
  {
    InOp op(mu, __tsan_mutex_read_lock);
    ok = lg_ReaderLockWhenWithDeadline_real()(mu, cond, deadline);
  }
  Locked(mu, __tsan_mutex_read_lock);
  return ok;
}

// ---- Mutex: unlocking ----

LG_WRAP(void, lg_Unlock, LG_ABSL("5Mutex6UnlockEv"), Mutex* mu) {
  if (Nested(mu)) return lg_Unlock_real()(mu);
  Unlocking(mu, 0);
  InOp op(mu, 0);
  lg_Unlock_real()(mu);
}

LG_WRAP(void, lg_ReaderUnlock, LG_ABSL("5Mutex12ReaderUnlockEv"), Mutex* mu) {
  if (Nested(mu)) return lg_ReaderUnlock_real()(mu);
  Unlocking(mu, __tsan_mutex_read_lock);
  InOp op(mu, __tsan_mutex_read_lock);
  lg_ReaderUnlock_real()(mu);
}

// ---- Mutex: waiting while held (released inside, held again on return) ----

LG_WRAP(void, lg_Await, LG_ABSL("5Mutex5AwaitERKNS0_9ConditionE"), Mutex* mu,
        const Condition& cond) {
  if (Nested(mu)) return lg_Await_real()(mu, cond);
  const unsigned mode = HeldMode(mu);
  Unlocking(mu, mode);
  {
    InOp op(mu, mode);
    lg_Await_real()(mu, cond);
  }
  Locked(mu, mode);
}

LG_WRAP(bool, lg_AwaitWithTimeout,
        LG_ABSL("5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE"), Mutex* mu,
        const Condition& cond, Duration timeout) {
  if (Nested(mu)) return lg_AwaitWithTimeout_real()(mu, cond, timeout);
  const unsigned mode = HeldMode(mu);
  bool ok;
  Unlocking(mu, mode);
  {
    InOp op(mu, mode);
    ok = lg_AwaitWithTimeout_real()(mu, cond, timeout);
  }
  Locked(mu, mode);
  return ok;
}

LG_WRAP(bool, lg_AwaitWithDeadline,
        LG_ABSL("5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE"), Mutex* mu,
        const Condition& cond, Time deadline) {
  if (Nested(mu)) return lg_AwaitWithDeadline_real()(mu, cond, deadline);
  const unsigned mode = HeldMode(mu);
  bool ok;
  Unlocking(mu, mode);
  {
    InOp op(mu, mode);
    ok = lg_AwaitWithDeadline_real()(mu, cond, deadline);
  }
  Locked(mu, mode);
  return ok;
}

LG_WRAP(void, lg_CondVarWait, LG_ABSL("7CondVar4WaitEPNS0_5MutexE"), CondVar* cv, Mutex* mu) {
  if (Nested(mu)) return lg_CondVarWait_real()(cv, mu);
  const unsigned mode = HeldMode(mu);
  Unlocking(mu, mode);
  {
    InOp op(mu, mode);
    lg_CondVarWait_real()(cv, mu);
  }
  Locked(mu, mode);
}

LG_WRAP(bool, lg_CondVarWaitWithTimeout,
        LG_ABSL("7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE"), CondVar* cv, Mutex* mu,
        Duration timeout) {
  if (Nested(mu)) return lg_CondVarWaitWithTimeout_real()(cv, mu, timeout);
  const unsigned mode = HeldMode(mu);
  bool timed_out;
  Unlocking(mu, mode);
  {
    InOp op(mu, mode);
    timed_out = lg_CondVarWaitWithTimeout_real()(cv, mu, timeout);
  }
  Locked(mu, mode);
  return timed_out;
}

LG_WRAP(bool, lg_CondVarWaitWithDeadline,
        LG_ABSL("7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE"), CondVar* cv, Mutex* mu,
        Time deadline) {
  if (Nested(mu)) return lg_CondVarWaitWithDeadline_real()(cv, mu, deadline);
  const unsigned mode = HeldMode(mu);
  bool timed_out;
  Unlocking(mu, mode);
  {
    InOp op(mu, mode);
    timed_out = lg_CondVarWaitWithDeadline_real()(cv, mu, deadline);
  }
  Locked(mu, mode);
  return timed_out;
}

// ---- Conditions evaluated inside the library ----

LG_WRAP(bool, lg_ConditionEval, LG_ABSL_CONST("9Condition4EvalEv"), const Condition* cond) {
  const Op op = current_op;
  if (op.mu == nullptr) return lg_ConditionEval_real()(cond);
  // The evaluating thread holds op.mu (or its spin bit) for the call.
  current_op = {nullptr, 0};
  Locked(op.mu, op.flags);
  const bool result = lg_ConditionEval_real()(cond);
  Unlocking(op.mu, op.flags);
  current_op = op;
  return result;
}

// ---- Destruction: forget TSan's state for the address ----

LG_WRAP(void, lg_MutexD1, LG_ABSL("5MutexD1Ev"), Mutex* mu) {
  __tsan_mutex_destroy(mu, 0);
  lg_MutexD1_real()(mu);
}

LG_WRAP(void, lg_MutexD2, LG_ABSL("5MutexD2Ev"), Mutex* mu) {
  __tsan_mutex_destroy(mu, 0);
  lg_MutexD2_real()(mu);
}

// ---- Notification and BlockingCounter (their fast paths are atomics) ----

LG_WRAP(void, lg_Notify, LG_ABSL("12Notification6NotifyEv"), Notification* n) {
  __tsan_release(n);
  // HasBeenNotified() is inline (instrumented): an acquire load of the flag.
  __tsan_release(NotifiedFlag(n));
  lg_Notify_real()(n);
}

LG_WRAP(void, lg_WaitForNotification, LG_ABSL_CONST("12Notification19WaitForNotificationEv"),
        const Notification* n) {
  lg_WaitForNotification_real()(n);
  __tsan_acquire(const_cast<Notification*>(n));
}

LG_WRAP(bool, lg_WaitForNotificationWithTimeout,
        LG_ABSL_CONST("12Notification30WaitForNotificationWithTimeoutENS0_8DurationE"),
        const Notification* n, Duration timeout) {
  const bool notified = lg_WaitForNotificationWithTimeout_real()(n, timeout);
  if (notified) __tsan_acquire(const_cast<Notification*>(n));
  return notified;
}

LG_WRAP(bool, lg_WaitForNotificationWithDeadline,
        LG_ABSL_CONST("12Notification31WaitForNotificationWithDeadlineENS0_4TimeE"),
        const Notification* n, Time deadline) {
  const bool notified = lg_WaitForNotificationWithDeadline_real()(n, deadline);
  if (notified) __tsan_acquire(const_cast<Notification*>(n));
  return notified;
}

LG_WRAP(void, lg_NotificationD1, LG_ABSL("12NotificationD1Ev"), Notification* n) {
  __tsan_mutex_destroy(NotifiedFlag(n), 0);
  lg_NotificationD1_real()(n);
}

LG_WRAP(void, lg_NotificationD2, LG_ABSL("12NotificationD2Ev"), Notification* n) {
  __tsan_mutex_destroy(NotifiedFlag(n), 0);
  lg_NotificationD2_real()(n);
}

LG_WRAP(bool, lg_DecrementCount, LG_ABSL("15BlockingCounter14DecrementCountEv"),
        absl::BlockingCounter* counter) {
  __tsan_release(counter);
  return lg_DecrementCount_real()(counter);
}

LG_WRAP(void, lg_BlockingCounterWait, LG_ABSL("15BlockingCounter4WaitEv"),
        absl::BlockingCounter* counter) {
  lg_BlockingCounterWait_real()(counter);
  __tsan_acquire(counter);
}

// ---- Fail loudly if the executable does not export the wrappers ----

namespace {
__attribute__((constructor)) void CheckInterposed() {
  if (dlsym(RTLD_DEFAULT, LG_ABSL("5Mutex4LockEv")) != reinterpret_cast<void*>(&lg_Lock) ||
      dlsym(RTLD_DEFAULT, LG_ABSL_CONST("9Condition4EvalEv")) !=
          reinterpret_cast<void*>(&lg_ConditionEval)) {
    std::fprintf(stderr,
                 "tsan_absl_sync: absl::Mutex is not interposed (are the wrappers exported? "
                 "see bazel/sanitizers/BUILD.bazel)\n");
    std::abort();
  }
}
}  // namespace
