#include "adapters/errors/status_details.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/errors/reasons.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/rpc/error_details.pb.h"

namespace linkgateway::adapters::errors {
namespace {

constexpr absl::string_view kTypeUrlPrefix = "type.googleapis.com/";

// Where a detail goes in Details(): the listed types first, in this order.
int Rank(absl::string_view type_url) {
  static constexpr absl::string_view kFirst[] = {
      "type.googleapis.com/google.rpc.ErrorInfo", "type.googleapis.com/google.rpc.BadRequest",
      "type.googleapis.com/google.rpc.RetryInfo", "type.googleapis.com/google.rpc.RequestInfo"};
  auto const* found = std::find(std::begin(kFirst), std::end(kFirst), type_url);
  return static_cast<int>(found - std::begin(kFirst));
}

}  // namespace

std::string SerializeDeterministically(google::protobuf::Message const& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }  // `coded` trims `bytes` to what it wrote when it goes
  return bytes;
}

void AttachDetail(absl::Status& status, google::protobuf::Message const& detail) {
  if (status.ok()) return;
  status.SetPayload(absl::StrCat(kTypeUrlPrefix, detail.GetDescriptor()->full_name()),
                    absl::Cord(SerializeDeterministically(detail)));
}

absl::Status WithErrorInfo(absl::Status status, absl::string_view reason,
                           absl::string_view domain,
                           std::map<std::string, std::string> metadata) {
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(std::string(domain));
  for (auto& [key, value] : metadata) {
    (*info.mutable_metadata())[key] = std::move(value);
  }
  AttachDetail(status, info);
  return status;
}

absl::Status InvalidArgument(absl::string_view what,
                             std::vector<FieldViolation> const& violations) {
  google::rpc::BadRequest bad_request;
  std::vector<std::string> parts;
  for (auto const& v : violations) {
    auto* fv = bad_request.add_field_violations();
    fv->set_field(v.field);
    fv->set_description(v.description);
    parts.push_back(absl::StrCat(v.field, ": ", v.description));
  }
  absl::Status status = absl::InvalidArgumentError(
      absl::StrCat(what, " is invalid: ", absl::StrJoin(parts, "; ")));
  AttachDetail(status, bad_request);
  std::map<std::string, std::string> metadata;
  if (!violations.empty()) metadata["field"] = violations.front().field;
  return WithErrorInfo(std::move(status), reason::kInvalidArgument, kGatewayDomain,
                       std::move(metadata));
}

std::vector<google::protobuf::Any> Details(absl::Status const& status) {
  std::vector<google::protobuf::Any> details;
  status.ForEachPayload([&](absl::string_view type_url, absl::Cord const& value) {
    if (!absl::StartsWith(type_url, kTypeUrlPrefix)) return;
    google::protobuf::Any any;
    any.set_type_url(std::string(type_url));
    any.set_value(std::string(value));
    details.push_back(std::move(any));
  });
  std::sort(details.begin(), details.end(), [](auto const& a, auto const& b) {
    return std::make_pair(Rank(a.type_url()), a.type_url()) <
           std::make_pair(Rank(b.type_url()), b.type_url());
  });
  return details;
}

google::rpc::Status ToRpcStatus(absl::Status const& status) {
  google::rpc::Status rpc;
  rpc.set_code(static_cast<int>(status.code()));
  rpc.set_message(std::string(status.message()));
  for (auto& any : Details(status)) *rpc.add_details() = std::move(any);
  return rpc;
}

absl::Status FromRpcStatus(google::rpc::Status const& rpc) {
  absl::Status status(static_cast<absl::StatusCode>(rpc.code()), rpc.message());
  if (status.ok()) return status;
  for (auto const& any : rpc.details()) status.SetPayload(any.type_url(), absl::Cord(any.value()));
  return status;
}

}  // namespace linkgateway::adapters::errors
