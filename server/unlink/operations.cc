#include "server/unlink/operations.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "adapters/errors/status_details.h"
#include "observability/log/log.h"
#include "server/unlink/job.h"

namespace linkgateway::server::unlink {

std::string NewOperationName() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    // OpenSSL's generator does not fail once seeded; a name must never repeat.
    observability::log::Error("unlink: no random bytes for an operation name");
    std::abort();
  }
  bytes[6] = (bytes[6] & 0x0F) | 0x40;
  bytes[8] = (bytes[8] & 0x3F) | 0x80;
  std::string hex = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<char const*>(bytes), sizeof(bytes)));
  return absl::StrCat("operations/unlink/", hex.substr(0, 8), "-", hex.substr(8, 4), "-",
                      hex.substr(12, 4), "-", hex.substr(16, 4), "-", hex.substr(20, 12));
}

google::longrunning::Operation OperationOf(StoredJob const& job) {
  google::longrunning::Operation op;
  op.set_name(job.metadata.name());
  op.mutable_metadata()->PackFrom(job.metadata);
  if (!job.done) return op;
  op.set_done(true);
  int unknown = 0, failed = 0, cancelled = 0;
  absl::StatusCode first_failure = absl::StatusCode::kOk;
  std::vector<std::string> problems;
  for (int i = 0; i < job.metadata.steps_size(); ++i) {
    auto const& step = job.metadata.steps(i);
    switch (step.state()) {
      case v1::UNLINK_STEP_STATE_SUCCEEDED:
      case v1::UNLINK_STEP_STATE_ALREADY_GONE:
        continue;
      case v1::UNLINK_STEP_STATE_OUTCOME_UNKNOWN:
        ++unknown;
        break;
      case v1::UNLINK_STEP_STATE_CANCELLED:
        ++cancelled;
        break;
      default:
        ++failed;
        if (first_failure == absl::StatusCode::kOk) {
          first_failure = static_cast<absl::StatusCode>(step.status().code());
          if (first_failure == absl::StatusCode::kOk) first_failure = absl::StatusCode::kUnknown;
        }
        break;
    }
    problems.push_back(absl::StrCat("step ", i, " (", ProviderOfTarget(step.target()), ") ",
                                    v1::UnlinkStepState_Name(step.state())));
  }
  if (problems.empty()) {
    v1::UnlinkResult result;
    *result.mutable_steps() = job.metadata.steps();
    op.mutable_response()->PackFrom(result);
    return op;
  }
  absl::StatusCode code = unknown > 0  ? absl::StatusCode::kUnknown
                          : failed > 0 ? first_failure
                                       : absl::StatusCode::kCancelled;
  absl::Status status(
      code, absl::StrCat(problems.size(), " of ", job.metadata.steps_size(),
                         " steps did not reach their end state: ", absl::StrJoin(problems, "; "),
                         " (the metadata has each step's status)"));
  status =
      adapters::errors::WithErrorInfo(status, "UNLINK_INCOMPLETE", adapters::errors::kGatewayDomain,
                                      {{"outcomeUnknown", absl::StrCat(unknown)},
                                       {"failed", absl::StrCat(failed)},
                                       {"cancelled", absl::StrCat(cancelled)}});
  *op.mutable_error() = adapters::errors::ToRpcStatus(status);
  return op;
}

absl::Status ParseFilter(std::string const& filter, std::string const& principal, JobQuery& query) {
  auto bad = [](std::string const& why) {
    return adapters::errors::InvalidArgument("ListOperationsRequest", {{"filter", why}});
  };
  for (absl::string_view term : absl::StrSplit(filter, " AND ", absl::SkipWhitespace())) {
    term = absl::StripAsciiWhitespace(term);
    std::vector<absl::string_view> sides = absl::StrSplit(term, absl::MaxSplits('=', 1));
    if (sides.size() != 2) {
      return bad("terms are caller = \"<principal>\" or done = true|false, joined by AND");
    }
    absl::string_view key = absl::StripAsciiWhitespace(sides[0]);
    absl::string_view value = absl::StripAsciiWhitespace(sides[1]);
    if (key == "done" && (value == "true" || value == "false")) {
      query.done = value == "true";
    } else if (key == "caller" && value.size() >= 2 && value.front() == '"' &&
               value.back() == '"') {
      std::string who(value.substr(1, value.size() - 2));
      // Operations are their caller's: a filter cannot widen that.
      if (who != principal) {
        return absl::PermissionDeniedError(
            "a caller may list only its own operations (filter caller = its own identity)");
      }
    } else {
      return bad("terms are caller = \"<principal>\" or done = true|false, joined by AND");
    }
  }
  return absl::OkStatus();
}

}  // namespace linkgateway::server::unlink
