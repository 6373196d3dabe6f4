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

namespace linkgateway::adapters::testing {

// An HTTP response, for brevity in tests.
adapters::transport::HttpResponse Response(int status, std::string body,
                                           adapters::transport::HttpHeaders headers = {});

class FakeHttpTransport : public adapters::transport::HttpTransport {
 public:
  using Responder = std::function<absl::StatusOr<adapters::transport::HttpResponse>(
      adapters::transport::HttpRequest const&)>;

  // With a responder every Send is answered inline; without one, calls wait
  // for RespondNext().
  void SetResponder(Responder responder) ABSL_LOCKS_EXCLUDED(mu_);

  void Send(adapters::transport::HttpRequest request,
            std::shared_ptr<adapters::async::Cancellation> cancellation,
            adapters::transport::Done<adapters::transport::HttpResponse> done) override
      ABSL_LOCKS_EXCLUDED(mu_);

  // Answers the oldest waiting call; false when none waits.
  bool RespondNext(absl::StatusOr<adapters::transport::HttpResponse> response)
      ABSL_LOCKS_EXCLUDED(mu_);

  std::vector<adapters::transport::HttpRequest> requests() const ABSL_LOCKS_EXCLUDED(mu_);
  int waiting() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  Responder responder_ ABSL_GUARDED_BY(mu_);
  std::vector<adapters::transport::HttpRequest> requests_ ABSL_GUARDED_BY(mu_);
  std::deque<adapters::transport::Done<adapters::transport::HttpResponse>> waiting_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace linkgateway::adapters::testing

#endif  // LINKGATEWAY_ADAPTERS_TESTING_FAKE_HTTP_TRANSPORT_H_
