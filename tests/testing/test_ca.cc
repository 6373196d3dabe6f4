#include "tests/testing/test_ca.h"

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"

namespace linkgateway::tests::testing {
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

  TestCertificates certs{dir + "/ca.pem", dir + "/server.pem", dir + "/server.key",
                         dir + "/ca.key"};
  std::string const& ca_key = certs.ca_key;
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

absl::StatusOr<TestCertificate> MakeCertificate(TestCertificates const& ca, std::string const& name,
                                                std::string const& subject,
                                                std::string const& subject_alt_names,
                                                bool expired) {
  std::string dir = ca.ca_cert.substr(0, ca.ca_cert.rfind('/'));
  TestCertificate out{absl::StrCat(dir, "/", name, ".pem"), absl::StrCat(dir, "/", name, ".key")};
  std::string csr = absl::StrCat(dir, "/", name, ".csr");
  std::string ext = absl::StrCat(dir, "/", name, ".ext");
  {
    std::ofstream f(ext);
    f << "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth,serverAuth\n";
    if (!subject_alt_names.empty()) f << "subjectAltName=" << subject_alt_names << "\n";
  }
  std::string const curve = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
  if (absl::Status s = Run(absl::StrCat("openssl req ", curve, " -keyout ", out.key, " -out ", csr,
                                        " -subj '", subject, "'"));
      !s.ok()) {
    return s;
  }
  if (!expired) {
    if (absl::Status s = Run(absl::StrCat("openssl x509 -req -in ", csr, " -CA ", ca.ca_cert,
                                          " -CAkey ", ca.ca_key, " -CAcreateserial -out ",
                                          out.cert, " -days 2 -extfile ", ext));
        !s.ok()) {
      return s;
    }
    return out;
  }
  // `openssl ca` can set the validity period: it ended long ago.
  std::string db = absl::StrCat(dir, "/", name, ".db");
  std::string cnf = absl::StrCat(dir, "/", name, ".cnf");
  std::ofstream(db).close();
  std::ofstream(cnf) << "[ca]\ndefault_ca=test\n[test]\ndatabase=" << db
                     << "\nnew_certs_dir=" << dir << "\nserial=" << dir << "/" << name
                     << ".serial\ndefault_md=sha256\npolicy=any\nunique_subject=no\n"
                     << "[any]\ncommonName=supplied\n";
  std::ofstream(absl::StrCat(dir, "/", name, ".serial")) << "01\n";
  if (absl::Status s = Run(absl::StrCat(
          "openssl ca -batch -config ", cnf, " -cert ", ca.ca_cert, " -keyfile ", ca.ca_key,
          " -in ", csr, " -out ", out.cert, " -startdate 20200101000000Z -enddate "
          "20200102000000Z -extfile ", ext, " -notext"));
      !s.ok()) {
    return s;
  }
  return out;
}

}  // namespace linkgateway::tests::testing
