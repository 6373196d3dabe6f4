// A test double for HttpTransport: records every request and answers either
// at once (a responder function) or when the test says so.
#ifndef LINKGATEWAY_ADAPTERS_TESTING_FAKE_HTTP_TRANSPORT_H_
#define LINKGATEWAY_ADAPTERS_TESTING_FAKE_HTTP_TRANSPORT_H_

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "adapters/transport/http.h"

namespace linkgateway::core::testing {

// An HTTP response, for brevity in tests.
HttpResponse Response(int status, std::string body, HttpHeaders headers = {});

class FakeHttpTransport : public HttpTransport {
 public:
  using Responder = std::function<absl::StatusOr<HttpResponse>(HttpRequest const&)>;

  // With a responder every Send is answered inline; without one, calls wait
  // for RespondNext().
  void SetResponder(Responder responder) ABSL_LOCKS_EXCLUDED(mu_);

  void Send(HttpRequest request, std::shared_ptr<Cancellation> cancellation,
            Done<HttpResponse> done) override ABSL_LOCKS_EXCLUDED(mu_);

  // Answers the oldest waiting call; false when none waits.
  bool RespondNext(absl::StatusOr<HttpResponse> response) ABSL_LOCKS_EXCLUDED(mu_);

  std::vector<HttpRequest> requests() const ABSL_LOCKS_EXCLUDED(mu_);
  int waiting() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  Responder responder_ ABSL_GUARDED_BY(mu_);
  std::vector<HttpRequest> requests_ ABSL_GUARDED_BY(mu_);
  std::deque<Done<HttpResponse>> waiting_ ABSL_GUARDED_BY(mu_);
};

}  // namespace linkgateway::core::testing

#endif  // LINKGATEWAY_ADAPTERS_TESTING_FAKE_HTTP_TRANSPORT_H_
