#include "adapters/testing/fake_http_transport.h"

#include <utility>

namespace linkgateway::adapters::testing {

adapters::transport::HttpResponse Response(int status, std::string body,
                                           adapters::transport::HttpHeaders headers) {
  adapters::transport::HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

void FakeHttpTransport::SetResponder(Responder responder) {
  absl::MutexLock lock(&mu_);
  responder_ = std::move(responder);
}

void FakeHttpTransport::Send(adapters::transport::HttpRequest request,
                             std::shared_ptr<adapters::async::Cancellation>,
                             adapters::transport::Done<adapters::transport::HttpResponse> done) {
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

bool FakeHttpTransport::RespondNext(absl::StatusOr<adapters::transport::HttpResponse> response) {
  adapters::transport::Done<adapters::transport::HttpResponse> done;
  {
    absl::MutexLock lock(&mu_);
    if (waiting_.empty()) return false;
    done = std::move(waiting_.front());
    waiting_.pop_front();
  }
  std::move(done)(std::move(response));
  return true;
}

std::vector<adapters::transport::HttpRequest> FakeHttpTransport::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

int FakeHttpTransport::waiting() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(waiting_.size());
}

}  // namespace linkgateway::adapters::testing
