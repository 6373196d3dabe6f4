// Server reflection (grpc.reflection.v1 and v1alpha), served by the gateway
// itself from the descriptor set of everything it serves, built with source
// info and embedded in the binary (//protos:served_protoset): so `grpcurl
// describe` shows the API's comments, and the health service resolves too
// (gRPC's own reflection knows only the generated pool, without comments or
// health). Like every method, it can ask callers to authenticate
// (security.public_health_and_reflection).
#ifndef LINKGATEWAY_SERVER_REFLECTION_SERVICE_H_
#define LINKGATEWAY_SERVER_REFLECTION_SERVICE_H_

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "server/security/authenticator.h"

namespace linkgateway::server {

// What reflection knows: the embedded files and the services listed.
class ReflectionIndex {
 public:
  // From the serialized FileDescriptorSet; `services` are the full names the
  // server serves (answered to list_services).
  static absl::StatusOr<std::unique_ptr<ReflectionIndex>> Create(
      std::string const& file_descriptor_set, std::vector<std::string> services);

  std::vector<std::string> const& services() const { return services_; }

  // The file and its transitive dependencies not yet in `sent` (added to it),
  // each serialized; NOT_FOUND when the file is unknown.
  absl::StatusOr<std::vector<std::string>> FileWithDependencies(
      std::string const& filename, std::set<std::string>& sent) const;

  // The file that defines `symbol` (a service, method, message, enum, ...).
  absl::StatusOr<std::string> FileContainingSymbol(std::string const& symbol) const;
  absl::StatusOr<std::string> FileContainingExtension(std::string const& type,
                                                      int number) const;
  absl::StatusOr<std::vector<int>> ExtensionNumbers(std::string const& type) const;

 private:
  ReflectionIndex() = default;

  google::protobuf::DescriptorPool pool_;
  absl::flat_hash_map<std::string, std::string> serialized_;  // file name -> bytes
  std::vector<std::string> services_;
};

class ReflectionV1Alpha final : public grpc::reflection::v1alpha::ServerReflection::CallbackService {
 public:
  // `authenticator` may be null (anyone may ask); both must outlive this.
  ReflectionV1Alpha(ReflectionIndex const& index, security::Authenticator const* authenticator)
      : index_(index), authenticator_(authenticator) {}

  grpc::ServerBidiReactor<grpc::reflection::v1alpha::ServerReflectionRequest,
                          grpc::reflection::v1alpha::ServerReflectionResponse>*
  ServerReflectionInfo(grpc::CallbackServerContext* context) override;

 private:
  ReflectionIndex const& index_;
  security::Authenticator const* const authenticator_;
};

class ReflectionV1 final : public grpc::reflection::v1::ServerReflection::CallbackService {
 public:
  ReflectionV1(ReflectionIndex const& index, security::Authenticator const* authenticator)
      : index_(index), authenticator_(authenticator) {}

  grpc::ServerBidiReactor<grpc::reflection::v1::ServerReflectionRequest,
                          grpc::reflection::v1::ServerReflectionResponse>*
  ServerReflectionInfo(grpc::CallbackServerContext* context) override;

 private:
  ReflectionIndex const& index_;
  security::Authenticator const* const authenticator_;
};

}  // namespace linkgateway::server

#endif  // LINKGATEWAY_SERVER_REFLECTION_SERVICE_H_
