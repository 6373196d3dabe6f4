// A throw-away certificate authority and a server certificate for 127.0.0.1,
// made at test time with the openssl command-line tool, so loopback HTTPS
// servers can be trusted through a CA bundle option exactly as in production.
#ifndef LINKGATEWAY_TESTS_TESTING_TEST_CA_H_
#define LINKGATEWAY_TESTS_TESTING_TEST_CA_H_

#include <string>

#include "absl/status/statusor.h"

namespace linkgateway::tests::testing {

struct TestCertificates {
  std::string ca_cert;      // PEM file: the CA to trust
  std::string server_cert;  // PEM file: certificate for IP 127.0.0.1, signed by the CA
  std::string server_key;   // PEM file: its private key
  std::string ca_key;       // PEM file: the CA's key, to sign more certificates
};

// A certificate (and key) signed by `ca`: `subject` like "/CN=billing",
// `subject_alt_names` an openssl SAN list ("URI:spiffe://example.org/x,
// DNS:billing.example.org") or "". An expired one ended in 2020.
struct TestCertificate {
  std::string cert;
  std::string key;
};
absl::StatusOr<TestCertificate> MakeCertificate(TestCertificates const& ca, std::string const& name,
                                                std::string const& subject,
                                                std::string const& subject_alt_names,
                                                bool expired = false);

// Creates the files in a fresh directory below `parent` (default: the test's
// TEST_TMPDIR). Each call makes a new, unrelated CA.
absl::StatusOr<TestCertificates> MakeTestCertificates(std::string parent = "");

}  // namespace linkgateway::tests::testing

#endif  // LINKGATEWAY_TESTS_TESTING_TEST_CA_H_
