// Starts an unlink job and watches it to the end (see ../README.md).
#include <iostream>

#include "clients/cpp/client.h"

namespace v1 = linkgateway::v1;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: unlink_sample TARGET REGISTRATION_ID SUBSCRIPTION_ID\n";
    return 64;
  }
  linkgateway::clients::cpp::ClientOptions options;
  options.target = argv[1];
  auto client = linkgateway::clients::cpp::Client::Create(options);
  if (!client.ok()) {
    std::cerr << client.status() << "\n";
    return 2;
  }
  v1::StartUnlinkRequest request;  // the client adds a request_id
  request.add_targets()->mutable_sms_voice_registration()->set_registration_id(argv[2]);
  auto* subscription = request.add_targets()->mutable_selling_partner_subscription();
  subscription->set_notification_type("ANY_OFFER_CHANGED");
  subscription->set_subscription_id(argv[3]);
  auto operation = (*client)->StartUnlink(request);
  if (!operation.ok()) {
    std::cerr << linkgateway::clients::cpp::Explain(operation.status()).ToString();
    return 2;
  }
  v1::WatchUnlinkRequest watch;
  watch.set_name(operation->name());
  v1::UnlinkMetadata last;
  absl::Status watched = (*client)->WatchUnlink(
      watch,
      [&last](v1::UnlinkMetadata const& metadata) {
        last = metadata;
        std::cout << metadata.name();
        for (auto const& step : metadata.steps()) {
          std::cout << " " << v1::UnlinkStepState_Name(step.state());
        }
        std::cout << std::endl;
      },
      absl::Seconds(60));
  if (!watched.ok()) {
    std::cerr << linkgateway::clients::cpp::Explain(watched).ToString();
    return 2;
  }
  std::cout << "done" << std::endl;
  for (auto const& step : last.steps()) {
    if (step.state() != v1::UNLINK_STEP_STATE_SUCCEEDED &&
        step.state() != v1::UNLINK_STEP_STATE_ALREADY_GONE) {
      return 1;
    }
  }
  return last.steps().empty() ? 1 : 0;
}
