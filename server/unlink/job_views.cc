#include "server/unlink/job_views.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "adapters/errors/status_details.h"
#include "server/unlink/operations.h"

namespace linkgateway::server::unlink {
namespace {

// How long a watch's poll of the store may take.
constexpr absl::Duration kPollDeadline = absl::Seconds(5);

absl::Status NotFound(std::string const& name) {
  return absl::NotFoundError(absl::StrCat("no operation named \"", name, "\""));
}

}  // namespace

void JobViews::Visible(security::Caller const& caller, std::string const& name, absl::Time deadline,
                       Answer<StoredJob> done) {
  std::string const principal = caller.principal;
  if (auto live = core_.Snapshot(name); live.has_value()) {
    if (live->metadata.caller() != principal) return std::move(done)(NotFound(name));
    return std::move(done)(*std::move(live));
  }
  calls_.Run<std::optional<StoredJob>>(
      deadline, [name](JobStore& store) { return store.Get(name); },
      [name, principal,
       done = std::move(done)](absl::StatusOr<std::optional<StoredJob>> stored) mutable {
        if (!stored.ok()) return std::move(done)(stored.status());
        // Another caller's job is not there for this one (not even its name).
        if (!stored->has_value() || (*stored)->metadata.caller() != principal) {
          return std::move(done)(NotFound(name));
        }
        StoredJob job = **std::move(stored);
        UpdateProgress(job.metadata);
        std::move(done)(std::move(job));
      });
}

void JobViews::Get(security::Caller const& caller, std::string const& name, absl::Time deadline,
                   Answer<google::longrunning::Operation> done) {
  Visible(caller, name, deadline, [done = std::move(done)](absl::StatusOr<StoredJob> job) mutable {
    if (!job.ok()) return std::move(done)(job.status());
    std::move(done)(OperationOf(*job));
  });
}

void JobViews::List(security::Caller const& caller,
                    google::longrunning::ListOperationsRequest const& request, absl::Time deadline,
                    Answer<google::longrunning::ListOperationsResponse> done) {
  JobQuery query;
  query.caller = caller.principal;
  query.page_size = request.page_size() <= 0 ? 50 : std::min(request.page_size(), 1000);
  query.page_token = request.page_token();
  if (!request.name().empty() && request.name() != "operations" &&
      request.name() != "operations/unlink") {
    return std::move(done)(adapters::errors::InvalidArgument(
        "ListOperationsRequest",
        {{"name", "must be empty, \"operations\" or \"operations/unlink\""}}));
  }
  if (absl::Status filter = ParseFilter(request.filter(), caller.principal, query); !filter.ok()) {
    return std::move(done)(filter);
  }
  calls_.Run<JobPage>(
      deadline, [query](JobStore& store) { return store.List(query); },
      [this, done = std::move(done)](absl::StatusOr<JobPage> page) mutable {
        if (!page.ok()) return std::move(done)(page.status());
        google::longrunning::ListOperationsResponse response;
        for (auto const& job : page->jobs) {
          // A job run here is as this replica knows it, which may be newer.
          auto live = core_.Snapshot(job.metadata.name());
          StoredJob shown = live.has_value() ? *std::move(live) : job;
          UpdateProgress(shown.metadata);
          *response.add_operations() = OperationOf(shown);
        }
        response.set_next_page_token(page->next_page_token);
        std::move(done)(std::move(response));
      });
}

void JobViews::Watch(security::Caller const& caller, std::string const& name, absl::Time deadline,
                     Watcher watcher, Answer<std::int64_t> done) {
  Visible(caller, name, deadline,
          [this, name, watcher = std::move(watcher),
           done = std::move(done)](absl::StatusOr<StoredJob> job) mutable {
            if (!job.ok()) return std::move(done)(job.status());
            std::int64_t handle = core_.NewWatch(name);
            // Registered on the worker, where every change happens: the
            // first report is the job as it is, and each later one follows
            // a change.
            core_.Post([this, name, handle, watcher = std::move(watcher)]() mutable {
              if (!core_.Watching(handle)) return;  // already gone
              if (auto now = core_.Attach(handle, name, watcher); now.has_value()) {
                return watcher(*now, false);
              }
              PollWatch(handle, name, std::move(watcher), "");
            });
            std::move(done)(handle);
          });
}

void JobViews::PollWatch(std::int64_t handle, std::string const& name, Watcher watcher,
                         std::string last) {
  if (!core_.Watching(handle)) return;
  calls_.Run<std::optional<StoredJob>>(
      absl::Now() + kPollDeadline, [name](JobStore& store) { return store.Get(name); },
      [this, handle, name, watcher = std::move(watcher),
       last = std::move(last)](absl::StatusOr<std::optional<StoredJob>> stored) mutable {
        core_.Post([this, handle, name, watcher = std::move(watcher), last = std::move(last),
                    stored = std::move(stored)]() mutable {
          if (!core_.Watching(handle)) return;
          if (stored.ok() && stored->has_value()) {
            UpdateProgress((*stored)->metadata);
            std::string now = (*stored)->metadata.SerializeAsString();
            bool const finished = (*stored)->done;
            if (now != last || finished) watcher((*stored)->metadata, finished);
            if (finished) return core_.EndWatch(handle);
            last = std::move(now);
          }
          core_.worker().PostAt(
              absl::Now() + absl::Seconds(1),
              [this, handle, name, watcher = std::move(watcher), last = std::move(last)]() mutable {
                PollWatch(handle, name, std::move(watcher), std::move(last));
              });
        });
      });
}

void JobViews::Wait(security::Caller const& caller, std::string const& name, absl::Time until,
                    Answer<google::longrunning::Operation> done) {
  struct Waiting {
    absl::Mutex mu;
    Answer<google::longrunning::Operation> done ABSL_GUARDED_BY(mu);
    std::int64_t handle ABSL_GUARDED_BY(mu) = 0;
    // The one answer; later calls do nothing.
    void Give(absl::StatusOr<google::longrunning::Operation> op) {
      Answer<google::longrunning::Operation> take;
      {
        absl::MutexLock lock(&mu);
        take = std::move(done);
        done = nullptr;
      }
      if (take) std::move(take)(std::move(op));
    }
    std::int64_t Handle() {
      absl::MutexLock lock(&mu);
      return handle;
    }
  };
  auto waiting = std::make_shared<Waiting>();
  {
    absl::MutexLock lock(&waiting->mu);
    waiting->done = std::move(done);
  }
  Watch(
      caller, name, until,
      [this, waiting](v1::UnlinkMetadata const& metadata, bool finished) {
        if (!finished) return;
        Unwatch(waiting->Handle());
        StoredJob job;
        job.metadata = metadata;
        job.done = true;
        waiting->Give(OperationOf(job));
      },
      [this, waiting, caller, name, until](absl::StatusOr<std::int64_t> handle) {
        if (!handle.ok()) return waiting->Give(handle.status());
        {
          absl::MutexLock lock(&waiting->mu);
          waiting->handle = *handle;
        }
        core_.worker().PostAt(until, [this, waiting, caller, name, until] {
          Unwatch(waiting->Handle());
          // The store read, when the job is not run here, must answer
          // before the caller's deadline too.
          Get(caller, name, until + absl::Milliseconds(90),
              [waiting](absl::StatusOr<google::longrunning::Operation> op) {
                waiting->Give(std::move(op));
              });
        });
      });
}

}  // namespace linkgateway::server::unlink
