#include "server/reflection_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.pb.h"
#include "server/call/grpc_status.h"

namespace linkgateway::server {
namespace {

using google::protobuf::FileDescriptor;

absl::Status NotFound(absl::string_view what, absl::string_view name) {
  return absl::NotFoundError(absl::StrCat(what, " not found: ", name));
}

// One ServerReflectionInfo stream, for either protocol version (their
// messages have the same shape in different packages).
template <typename Request, typename Response>
class ReflectionCall final : public grpc::ServerBidiReactor<Request, Response> {
 public:
  explicit ReflectionCall(ReflectionIndex const& index) : index_(index) {
    this->StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) return this->Finish(grpc::Status::OK);  // the client is done
    Answer();
    this->StartWrite(&response_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) return this->Finish(grpc::Status::CANCELLED);
    this->StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  void Answer() {
    response_.Clear();
    response_.set_valid_host(request_.host());
    *response_.mutable_original_request() = request_;
    switch (request_.message_request_case()) {
      case Request::kFileByFilename:
        return Files(index_.FileWithDependencies(request_.file_by_filename(), sent_));
      case Request::kFileContainingSymbol:
        return FileOf(index_.FileContainingSymbol(request_.file_containing_symbol()));
      case Request::kFileContainingExtension:
        return FileOf(index_.FileContainingExtension(
            request_.file_containing_extension().containing_type(),
            request_.file_containing_extension().extension_number()));
      case Request::kAllExtensionNumbersOfType: {
        auto numbers = index_.ExtensionNumbers(request_.all_extension_numbers_of_type());
        if (!numbers.ok()) return Error(numbers.status());
        auto* out = response_.mutable_all_extension_numbers_response();
        out->set_base_type_name(request_.all_extension_numbers_of_type());
        for (int n : *numbers) out->add_extension_number(n);
        return;
      }
      case Request::kListServices:
        for (auto const& name : index_.services()) {
          response_.mutable_list_services_response()->add_service()->set_name(name);
        }
        return;
      default:
        return Error(absl::UnimplementedError("unknown reflection request"));
    }
  }

  void FileOf(absl::StatusOr<std::string> filename) {
    if (!filename.ok()) return Error(filename.status());
    Files(index_.FileWithDependencies(*filename, sent_));
  }

  void Files(absl::StatusOr<std::vector<std::string>> files) {
    if (!files.ok()) return Error(files.status());
    auto* out = response_.mutable_file_descriptor_response();
    for (auto& file : *files) out->add_file_descriptor_proto(std::move(file));
  }

  void Error(absl::Status const& status) {
    auto* error = response_.mutable_error_response();
    error->set_error_code(static_cast<int>(status.code()));
    error->set_error_message(std::string(status.message()));
  }

  ReflectionIndex const& index_;
  Request request_;
  Response response_;
  std::set<std::string> sent_;  // files already sent on this stream
};

// A stream refused at once.
template <typename Request, typename Response>
class RefusedReflection final : public grpc::ServerBidiReactor<Request, Response> {
 public:
  explicit RefusedReflection(grpc::Status status) { this->Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

template <typename Request, typename Response>
grpc::ServerBidiReactor<Request, Response>* Reflect(ReflectionIndex const& index,
                                                    security::Authenticator const* authenticator,
                                                    grpc::CallbackServerContext* context) {
  if (authenticator != nullptr) {
    if (auto caller = authenticator->Authenticate(*context); !caller.ok()) {
      return new RefusedReflection<Request, Response>(call::ToGrpcStatus(caller.status()));
    }
  }
  return new ReflectionCall<Request, Response>(index);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ReflectionIndex>> ReflectionIndex::Create(
    std::string const& file_descriptor_set, std::vector<std::string> services) {
  google::protobuf::FileDescriptorSet set;
  if (!set.ParseFromString(file_descriptor_set)) {
    return absl::InternalError("the embedded descriptor set cannot be parsed");
  }
  std::unique_ptr<ReflectionIndex> index(new ReflectionIndex());
  // protoc --include_imports lists dependencies before their users.
  for (auto const& file : set.file()) {
    if (index->pool_.BuildFile(file) == nullptr) {
      return absl::InternalError(absl::StrCat("cannot build ", file.name()));
    }
    index->serialized_[file.name()] = file.SerializeAsString();
  }
  index->services_ = std::move(services);
  return index;
}

absl::StatusOr<std::vector<std::string>> ReflectionIndex::FileWithDependencies(
    std::string const& filename, std::set<std::string>& sent) const {
  FileDescriptor const* file = pool_.FindFileByName(filename);
  if (file == nullptr) return NotFound("file", filename);
  std::vector<std::string> out;
  std::vector<FileDescriptor const*> pending = {file};
  while (!pending.empty()) {
    FileDescriptor const* next = pending.back();
    pending.pop_back();
    if (!sent.insert(next->name()).second) continue;
    out.push_back(serialized_.at(next->name()));
    for (int i = 0; i < next->dependency_count(); ++i) pending.push_back(next->dependency(i));
  }
  return out;
}

absl::StatusOr<std::string> ReflectionIndex::FileContainingSymbol(
    std::string const& symbol) const {
  FileDescriptor const* file = pool_.FindFileContainingSymbol(symbol);
  if (file == nullptr) return NotFound("symbol", symbol);
  return file->name();
}

absl::StatusOr<std::string> ReflectionIndex::FileContainingExtension(std::string const& type,
                                                                     int number) const {
  auto const* message = pool_.FindMessageTypeByName(type);
  if (message == nullptr) return NotFound("type", type);
  auto const* extension = pool_.FindExtensionByNumber(message, number);
  if (extension == nullptr) return NotFound("extension", absl::StrCat(type, " ", number));
  return extension->file()->name();
}

absl::StatusOr<std::vector<int>> ReflectionIndex::ExtensionNumbers(std::string const& type) const {
  auto const* message = pool_.FindMessageTypeByName(type);
  if (message == nullptr) return NotFound("type", type);
  std::vector<google::protobuf::FieldDescriptor const*> extensions;
  pool_.FindAllExtensions(message, &extensions);
  std::vector<int> numbers;
  for (auto const* extension : extensions) numbers.push_back(extension->number());
  return numbers;
}

grpc::ServerBidiReactor<grpc::reflection::v1alpha::ServerReflectionRequest,
                        grpc::reflection::v1alpha::ServerReflectionResponse>*
ReflectionV1Alpha::ServerReflectionInfo(grpc::CallbackServerContext* context) {
  return Reflect<grpc::reflection::v1alpha::ServerReflectionRequest,
                 grpc::reflection::v1alpha::ServerReflectionResponse>(index_, authenticator_,
                                                                     context);
}

grpc::ServerBidiReactor<grpc::reflection::v1::ServerReflectionRequest,
                        grpc::reflection::v1::ServerReflectionResponse>*
ReflectionV1::ServerReflectionInfo(grpc::CallbackServerContext* context) {
  return Reflect<grpc::reflection::v1::ServerReflectionRequest,
                 grpc::reflection::v1::ServerReflectionResponse>(index_, authenticator_, context);
}

}  // namespace linkgateway::server
