#include "server/call/refusals.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "adapters/errors/reasons.h"
#include "adapters/errors/status_details.h"
#include "google/rpc/error_details.pb.h"
#include "server/request/request_fields.h"

namespace linkgateway::server::call {

namespace errors = adapters::errors;

absl::Status NotAllowed(std::string const& principal, std::string const& method,
                        std::string const& provider, std::string const& account) {
  std::string who = principal.empty() ? "an anonymous caller" : principal;
  std::map<std::string, std::string> metadata = {{"method", method}};
  std::string message = absl::StrCat(who, " may not call ", method);
  if (!provider.empty()) {
    absl::StrAppend(&message, " for provider ", provider);
    metadata["provider"] = provider;
  }
  if (!account.empty()) {
    absl::StrAppend(&message, " in account ", account);
    metadata["account"] = account;
  }
  return errors::WithErrorInfo(absl::PermissionDeniedError(message),
                               errors::reason::kPermissionDenied, errors::kGatewayDomain, metadata);
}

absl::Status ProviderNotServed(google::protobuf::Message const& request) {
  std::string provider = request::ProviderOf(request);
  if (provider.empty()) provider = "unknown";
  return errors::WithErrorInfo(absl::UnimplementedError(absl::StrCat(
                                   "provider \"", provider, "\" does not serve ",
                                   request.GetDescriptor()->name(), " in this gateway yet")),
                               errors::reason::kProviderNotImplemented, errors::kGatewayDomain,
                               {{"provider", provider}});
}

absl::Status UnknownAccount(google::protobuf::Message const& request) {
  std::string provider = request::ProviderOf(request);
  // The name passed ValidateAccount: it is safe to repeat.
  return errors::InvalidArgument(
      request.GetDescriptor()->name(),
      {{absl::StrCat(provider, ".account"),
        absl::StrCat("no account named \"", request::AccountOf(request), "\" is configured for ",
                     provider, " in this gateway")}});
}

absl::Status Within(std::string const& field, absl::Status status) {
  if (field.empty() || status.ok()) return status;
  google::rpc::BadRequest bad;
  if (errors::FindDetail(status, bad)) {
    for (auto& violation : *bad.mutable_field_violations()) {
      violation.set_field(absl::StrCat(field, ".", violation.field()));
    }
    errors::AttachDetail(status, bad);
  }
  absl::Status named(status.code(), absl::StrCat(field, ": ", status.message()));
  status.ForEachPayload([&named](absl::string_view url, absl::Cord const& payload) {
    named.SetPayload(url, payload);
  });
  return named;
}

}  // namespace linkgateway::server::call
