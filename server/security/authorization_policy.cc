#include "server/security/authorization_policy.h"

#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace linkgateway::server::security {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

absl::Status Unknown(std::string const& where, std::string const& key,
                     std::set<std::string> const& known) {
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": unknown key \"", key, "\"; known: ", absl::StrJoin(known, ", ")));
}

absl::Status CheckKeys(Struct const& object, std::string const& where,
                       std::set<std::string> const& known) {
  for (auto const& [key, value] : object.fields()) {
    if (known.count(key) == 0) return Unknown(where, key, known);
  }
  return absl::OkStatus();
}

// A list of non-empty strings, each accepted by `check`.
absl::StatusOr<std::vector<std::string>> Strings(Struct const& object, std::string const& key,
                                                 std::string const& where,
                                                 absl::Status (*check)(absl::string_view)) {
  std::vector<std::string> out;
  auto it = object.fields().find(key);
  if (it == object.fields().end()) return out;
  if (!it->second.has_list_value()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".", key, ": must be a list"));
  }
  for (auto const& item : it->second.list_value().values()) {
    if (!item.has_string_value() || item.string_value().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".", key, ": every entry must be a non-empty string"));
    }
    if (absl::Status valid = check(item.string_value()); !valid.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".", key, "[", out.size(), "]: ", valid.message()));
    }
    out.push_back(item.string_value());
  }
  return out;
}

absl::StatusOr<Struct> Object(Struct const& parent, std::string const& key,
                              std::string const& where) {
  auto it = parent.fields().find(key);
  if (it == parent.fields().end()) return Struct();
  if (!it->second.has_struct_value()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".", key, ": must be an object"));
  }
  return it->second.struct_value();
}

}  // namespace

absl::StatusOr<AuthorizationPolicy> AuthorizationPolicy::Parse(absl::string_view json) {
  Struct root;
  if (!google::protobuf::util::JsonStringToMessage(std::string(json), &root).ok()) {
    return absl::InvalidArgumentError("the policy is not a JSON object");
  }
  if (auto s = CheckKeys(root, "policy", {"name", "deny_rules", "allow_rules"}); !s.ok()) return s;
  AuthorizationPolicy policy;
  auto name = root.fields().find("name");
  if (name == root.fields().end() || name->second.string_value().empty()) {
    return absl::InvalidArgumentError("policy.name: is required");
  }
  policy.name_ = name->second.string_value();
  if (root.fields().count("allow_rules") == 0) {
    return absl::InvalidArgumentError("policy.allow_rules: is required");
  }
  for (auto [key, rules] : {std::pair{"deny_rules", &policy.deny_},
                            std::pair{"allow_rules", &policy.allow_}}) {
    auto it = root.fields().find(key);
    if (it == root.fields().end()) continue;
    if (!it->second.has_list_value()) {
      return absl::InvalidArgumentError(absl::StrCat("policy.", key, ": must be a list"));
    }
    int index = 0;
    for (auto const& item : it->second.list_value().values()) {
      std::string where = absl::StrCat("policy.", key, "[", index++, "]");
      if (!item.has_struct_value()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": must be an object"));
      }
      Struct const& rule_json = item.struct_value();
      if (auto s = CheckKeys(rule_json, where, {"name", "source", "request"}); !s.ok()) return s;
      Rule rule;
      auto rule_name = rule_json.fields().find("name");
      if (rule_name == rule_json.fields().end() || rule_name->second.string_value().empty()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ".name: is required"));
      }
      rule.name = rule_name->second.string_value();
      auto source = Object(rule_json, "source", where);
      if (!source.ok()) return source.status();
      if (auto s = CheckKeys(*source, where + ".source", {"principals"}); !s.ok()) return s;
      auto principals = Strings(*source, "principals", where + ".source", CheckPrincipalPattern);
      if (!principals.ok()) return principals.status();
      rule.principals = *std::move(principals);
      auto request = Object(rule_json, "request", where);
      if (!request.ok()) return request.status();
      if (auto s = CheckKeys(*request, where + ".request",
                             {"paths", "providers", AccountCondition::kKey});
          !s.ok()) {
        return s;
      }
      auto paths = Strings(*request, "paths", where + ".request", CheckPattern);
      if (!paths.ok()) return paths.status();
      rule.paths = *std::move(paths);
      auto providers = Strings(*request, "providers", where + ".request", CheckPattern);
      if (!providers.ok()) return providers.status();
      rule.providers = *std::move(providers);
      auto accounts = AccountCondition::Parse(*request, where + ".request");
      if (!accounts.ok()) return accounts.status();
      rule.accounts = *std::move(accounts);
      rules->push_back(std::move(rule));
    }
  }
  return policy;
}

bool AuthorizationPolicy::Matches(Rule const& rule, AuthorizationRequest const& request) {
  auto any = [](std::vector<std::string> const& patterns, absl::string_view value,
                bool (*matches)(absl::string_view, absl::string_view)) {
    if (patterns.empty()) return true;
    for (auto const& pattern : patterns) {
      if (matches(pattern, value)) return true;
    }
    return false;
  };
  return any(rule.principals, request.principal, MatchesPrincipal) &&
         any(rule.paths, request.path, MatchesPattern) &&
         any(rule.providers, request.provider, MatchesPattern) &&
         rule.accounts.Matches(request.provider, request.account);
}

AuthorizationDecision AuthorizationPolicy::Evaluate(AuthorizationRequest const& request) const {
  for (auto const& rule : deny_) {
    if (Matches(rule, request)) return {false, rule.name};
  }
  for (auto const& rule : allow_) {
    if (Matches(rule, request)) return {true, rule.name};
  }
  return {false, ""};
}

absl::StatusOr<std::unique_ptr<PolicyFile>> LoadPolicyFile(std::string const& path,
                                                           WatchedFileOptions options) {
  return PolicyFile::Load(path, AuthorizationPolicy::Parse, std::move(options));
}

}  // namespace linkgateway::server::security
