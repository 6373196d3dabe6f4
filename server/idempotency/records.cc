#include "server/idempotency/records.h"

#include <openssl/sha.h>

#include <memory>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "adapters/errors/status_mapping.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/rpc/error_details.pb.h"

namespace linkgateway::server::idempotency {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using linkgateway::state::v1::IdempotencyRecord;

FieldDescriptor const* Field(Message const& message, char const* name, FieldDescriptor::Type type) {
  auto const* field = message.GetDescriptor()->FindFieldByName(name);
  return field != nullptr && field->type() == type && !field->is_repeated() ? field : nullptr;
}

}  // namespace

std::string IdempotencyIdOf(Message const& request) {
  auto const* field = Field(request, "request_id", FieldDescriptor::TYPE_STRING);
  return field == nullptr ? "" : request.GetReflection()->GetString(request, field);
}

std::string FingerprintOf(Message const& request) {
  std::unique_ptr<Message> copy(request.New());
  copy->CopyFrom(request);
  if (auto const* field = Field(*copy, "request_id", FieldDescriptor::TYPE_STRING)) {
    copy->GetReflection()->ClearField(copy.get(), field);
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    copy->SerializeToCodedStream(&coded);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<unsigned char const*>(bytes.data()), bytes.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<char const*>(digest), sizeof(digest)));
}

absl::Status ValidateRequestId(Message const& request) {
  std::string id = IdempotencyIdOf(request);
  if (id.empty() || IsUuid(id)) return absl::OkStatus();
  return adapters::errors::InvalidArgument(
      request.GetDescriptor()->name(),
      {{"request_id",
        "must be a UUID (8-4-4-4-12 hexadecimal digits), new for each logical "
        "delete and the same on its retries"}});
}

IdempotencyRecord RecordOf(std::string fingerprint, absl::Status const& status,
                           Message const* response) {
  IdempotencyRecord record;
  record.set_fingerprint(std::move(fingerprint));
  record.set_done(true);
  record.set_ok(status.ok() && response != nullptr);
  if (record.ok()) {
    record.set_response(response->SerializeAsString());
  } else {
    record.set_status(adapters::errors::ToRpcStatus(status).SerializeAsString());
  }
  return record;
}

absl::Status ReplayedStatus(IdempotencyRecord const& record) {
  google::rpc::Status rpc;
  if (!rpc.ParseFromString(record.status()) || rpc.code() == 0) {
    return absl::InternalError("the recorded outcome of this request_id cannot be read");
  }
  absl::Status status = adapters::errors::FromRpcStatus(rpc);
  google::rpc::ErrorInfo info;
  if (!adapters::errors::FindDetail(status, info))
    info.set_domain(std::string(adapters::errors::kGatewayDomain));
  (*info.mutable_metadata())["replayed"] = "true";
  adapters::errors::AttachDetail(status, info);
  return status;
}

bool ReplayedResponse(IdempotencyRecord const& record, Message& response) {
  if (!response.ParseFromString(record.response())) return false;
  if (auto const* field = Field(response, "replayed", FieldDescriptor::TYPE_BOOL)) {
    response.GetReflection()->SetBool(&response, field, true);
  }
  return true;
}

absl::Status RequestInProgress(std::string const& request_id) {
  absl::Status status = adapters::errors::WithErrorInfo(
      absl::AbortedError(absl::StrCat("a call with request_id ", request_id,
                                      " is still in progress; retry with the same id")),
      adapters::errors::reason::kRequestInProgress, adapters::errors::kGatewayDomain,
      {{"requestId", request_id}});
  adapters::errors::SetRetryDelay(status, absl::Seconds(1));
  return status;
}

absl::Status RequestIdReused(std::string const& what, std::string const& request_id) {
  absl::Status status = adapters::errors::InvalidArgument(
      what, {{"request_id", absl::StrCat(request_id,
                                         " was used by this caller for a "
                                         "different request")}});
  return adapters::errors::WithErrorInfo(
      std::move(status), adapters::errors::reason::kRequestIdReused,
      adapters::errors::kGatewayDomain, {{"field", "request_id"}, {"requestId", request_id}});
}

}  // namespace linkgateway::server::idempotency
