#include "tests/testing/test_ca.h"

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"

namespace linkgateway::testing {
namespace {

absl::Status Run(std::string const& command) {
  // Quiet unless it fails; the tests' logs stay readable.
  int rc = std::system(absl::StrCat(command, " >/dev/null 2>&1").c_str());
  if (rc != 0) return absl::InternalError(absl::StrCat("`", command, "` failed: ", rc));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TestCertificates> MakeTestCertificates(std::string parent) {
  if (parent.empty()) {
    char const* tmp = std::getenv("TEST_TMPDIR");
    parent = tmp != nullptr ? tmp : "/tmp";
  }
  std::string pattern = absl::StrCat(parent, "/ca.XXXXXX");
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  std::string dir = buffer.data();

  TestCertificates certs{dir + "/ca.pem", dir + "/server.pem", dir + "/server.key"};
  std::string ca_key = dir + "/ca.key";
  std::string csr = dir + "/server.csr";
  std::string ext = dir + "/server.ext";
  std::ofstream(ext) << "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n";

  std::string const curve = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
  for (auto const& command : {
           absl::StrCat("openssl req -x509 ", curve, " -keyout ", ca_key, " -out ", certs.ca_cert,
                        " -days 2 -subj '/CN=linkgateway test CA'"),
           absl::StrCat("openssl req ", curve, " -keyout ", certs.server_key, " -out ", csr,
                        " -subj '/CN=127.0.0.1'"),
           absl::StrCat("openssl x509 -req -in ", csr, " -CA ", certs.ca_cert, " -CAkey ", ca_key,
                        " -CAcreateserial -out ", certs.server_cert, " -days 2 -extfile ", ext),
       }) {
    if (absl::Status s = Run(command); !s.ok()) return s;
  }
  return certs;
}

}  // namespace linkgateway::testing
