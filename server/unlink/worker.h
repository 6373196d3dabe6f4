// One thread that runs tasks in order, now or at a time: where the unlink
// engine changes its jobs and writes its store, so no gRPC or transport
// thread waits on a disk flush and no job needs a lock of its own.
#ifndef LINKGATEWAY_SERVER_UNLINK_WORKER_H_
#define LINKGATEWAY_SERVER_UNLINK_WORKER_H_

#include <cstdint>
#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace linkgateway::server::unlink {

class Worker {
 public:
  Worker();
  ~Worker() { Stop(); }

  // Runs what is due, drops what is not, and stops; later posts are
  // dropped. Returns once the thread has ended (not from the thread).
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  void Post(absl::AnyInvocable<void() &&> task) { PostAt(absl::InfinitePast(), std::move(task)); }
  // Runs `task` at or after `when`; tasks due at the same time run in the
  // order they were posted.
  void PostAt(absl::Time when, absl::AnyInvocable<void() &&> task) ABSL_LOCKS_EXCLUDED(mu_);

  bool OnWorker() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  void Run();

  absl::Mutex mu_;
  std::multimap<absl::Time, absl::AnyInvocable<void() &&>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace linkgateway::server::unlink

#endif  // LINKGATEWAY_SERVER_UNLINK_WORKER_H_
