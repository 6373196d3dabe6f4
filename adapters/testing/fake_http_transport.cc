#include "adapters/testing/fake_http_transport.h"

#include <utility>

namespace linkgateway::core::testing {

HttpResponse Response(int status, std::string body, HttpHeaders headers) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

void FakeHttpTransport::SetResponder(Responder responder) {
  absl::MutexLock lock(&mu_);
  responder_ = std::move(responder);
}

void FakeHttpTransport::Send(HttpRequest request, std::shared_ptr<Cancellation>,
                             Done<HttpResponse> done) {
  Responder responder;
  {
    absl::MutexLock lock(&mu_);
    requests_.push_back(request);
    if (!responder_) {
      waiting_.push_back(std::move(done));
      return;
    }
    responder = responder_;
  }
  std::move(done)(responder(request));
}

bool FakeHttpTransport::RespondNext(absl::StatusOr<HttpResponse> response) {
  Done<HttpResponse> done;
  {
    absl::MutexLock lock(&mu_);
    if (waiting_.empty()) return false;
    done = std::move(waiting_.front());
    waiting_.pop_front();
  }
  std::move(done)(std::move(response));
  return true;
}

std::vector<HttpRequest> FakeHttpTransport::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

int FakeHttpTransport::waiting() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(waiting_.size());
}

}  // namespace linkgateway::core::testing
