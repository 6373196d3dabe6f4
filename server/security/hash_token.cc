// Prints one line for the gateway's token file: the principal, a fresh salt
// and SHA-256(salt || token). The token is read from standard input (one
// line), so it never appears in a command line or shell history.
//
//   openssl rand -hex 32 > billing.token
//   bazel run //server/security:hash_token -- billing-service < billing.token >> tokens.txt
#include <iostream>
#include <string>

#include "server/security/token_file.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: hash_token PRINCIPAL < token\n";
    return 64;
  }
  std::string token;
  std::getline(std::cin, token);
  if (!token.empty() && token.back() == '\r') token.pop_back();
  if (token.empty()) {
    std::cerr << "hash_token: no token on standard input\n";
    return 64;
  }
  std::cout << linkgateway::server::security::HashTokenLine(argv[1], token) << "\n";
  return 0;
}
