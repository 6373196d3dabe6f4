// What the server reads from any request of the API by reflection, so one
// dispatch path serves every RPC: its provider, whether it is destructive,
// its dry-run flag and its key fields.
#ifndef LINKGATEWAY_SERVER_REQUEST_REQUEST_FIELDS_H_
#define LINKGATEWAY_SERVER_REQUEST_REQUEST_FIELDS_H_

#include <map>
#include <string>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace linkgateway::server::request {

// A method whose request has `validate_only` changes state at a provider
// (AIP-163 dry runs exist for mutations): it is audited.
bool IsDestructive(google::protobuf::Descriptor const& request);

// The request's validate_only (false when it has none).
bool ValidateOnly(google::protobuf::Message const& request);

// Sets the response's validate_only (when it has one).
void MarkValidateOnly(google::protobuf::Message& response);

// The provider the request names: the set field of its `target` oneof ("").
std::string ProviderOf(google::protobuf::Message const& request);

// The target key's `account` (the provider account it names, docs/accounts.md):
// "" when it names none, or its provider has no accounts.
std::string AccountOf(google::protobuf::Message const& request);

// Sets the target key's `account` (when it has one); works on any message
// with a `target` oneof of keys (a request, an UnlinkTarget).
void SetAccount(google::protobuf::Message& request, std::string const& account);

// The target key's scalar fields by name, leaving out those marked
// (linkgateway.v1.sensitive): what an audit record may show.
std::map<std::string, std::string> TargetFields(google::protobuf::Message const& request);

}  // namespace linkgateway::server::request

#endif  // LINKGATEWAY_SERVER_REQUEST_REQUEST_FIELDS_H_
