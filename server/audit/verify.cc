// Checks an audit trail: every record in order, none missing or changed,
// across the rotated files, and with --public_key every signature.
//
//   bazel run //server/audit:verify -- [--public_key=audit.pub] /var/log/linkgateway/audit.jsonl
//
// Prints a line per file and either "intact: ..." (exit 0) or the first
// problem, "ALTERED: ...", "MISSING: ...", "REORDERED: ..." (exit 1).
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "server/audit/signing.h"
#include "server/audit/verifier.h"

ABSL_FLAG(std::string, public_key, "",
          "Ed25519 public key (PEM) the trail's file digests must be signed with.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("verify [--public_key=FILE] AUDIT_PATH");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) {
    std::cerr << "usage: verify [--public_key=FILE] AUDIT_PATH\n";
    return 2;
  }
  namespace audit = linkgateway::server::audit;
  std::unique_ptr<audit::SignatureVerifier> key;
  if (std::string path = absl::GetFlag(FLAGS_public_key); !path.empty()) {
    auto loaded = audit::LoadVerifyingKey(path);
    if (!loaded.ok()) {
      std::cerr << "verify: " << loaded.status().message() << "\n";
      return 2;
    }
    key = *std::move(loaded);
  }
  audit::VerifyReport report = audit::VerifyTrail(args[1], key.get());
  for (auto const& note : report.notes) std::cout << note << "\n";
  if (!report.intact) {
    std::cout << report.problem << "\n";
    return 1;
  }
  return 0;
}
