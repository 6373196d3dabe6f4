// Every method the gateway serves, by path: the services are built from it
// (grouped by service name), and an unlink step finds the delete it stands
// for by its request type.
#ifndef LINKGATEWAY_SERVER_CALL_METHOD_SET_H_
#define LINKGATEWAY_SERVER_CALL_METHOD_SET_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "server/call/method.h"

namespace linkgateway::server::call {

class MethodSet {
 public:
  void Add(std::unique_ptr<Method> method);

  // Null when no method has that path / takes that request.
  Method const* Find(std::string const& path) const;
  Method const* ForRequest(google::protobuf::Descriptor const* request) const;

  // Every method, by path.
  std::vector<Method const*> All() const;
  // The full names of the services their paths name, each once, in order.
  std::vector<std::string> ServiceNames() const;

 private:
  std::map<std::string, std::unique_ptr<Method>> by_path_;
  std::map<google::protobuf::Descriptor const*, Method const*> by_request_;
};

// "linkgateway.v1.RegistrationService" of "/linkgateway.v1.RegistrationService/X".
std::string ServiceOf(std::string const& path);

}  // namespace linkgateway::server::call

#endif  // LINKGATEWAY_SERVER_CALL_METHOD_SET_H_
