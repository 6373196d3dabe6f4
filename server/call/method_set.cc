#include "server/call/method_set.h"

#include <set>
#include <utility>

namespace linkgateway::server::call {

std::string ServiceOf(std::string const& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos || slash == 0 ? "" : path.substr(1, slash - 1);
}

void MethodSet::Add(std::unique_ptr<Method> method) {
  Method const* added = method.get();
  by_request_[method->request_prototype().GetDescriptor()] = added;
  by_path_[method->path()] = std::move(method);
}

Method const* MethodSet::Find(std::string const& path) const {
  auto it = by_path_.find(path);
  return it == by_path_.end() ? nullptr : it->second.get();
}

Method const* MethodSet::ForRequest(google::protobuf::Descriptor const* request) const {
  auto it = by_request_.find(request);
  return it == by_request_.end() ? nullptr : it->second;
}

std::vector<Method const*> MethodSet::All() const {
  std::vector<Method const*> all;
  for (auto const& [path, method] : by_path_) all.push_back(method.get());
  return all;
}

std::vector<std::string> MethodSet::ServiceNames() const {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (auto const& [path, method] : by_path_) {
    std::string service = ServiceOf(path);
    if (seen.insert(service).second) names.push_back(service);
  }
  return names;
}

}  // namespace linkgateway::server::call
