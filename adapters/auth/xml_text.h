// Reading the small XML documents AWS query APIs answer with (STS), on
// libexpat: each element's text by its path of local names, namespaces
// dropped. A document type declaration is refused outright (no AWS answer
// has one, and it is how entity expansion attacks start).
#ifndef LINKGATEWAY_ADAPTERS_AUTH_XML_TEXT_H_
#define LINKGATEWAY_ADAPTERS_AUTH_XML_TEXT_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace linkgateway::adapters::auth {

// Element path ("AssumeRoleResponse/AssumeRoleResult/Credentials/AccessKeyId")
// to the element's own text; the first element of a path wins.
using XmlTexts = std::map<std::string, std::string>;

// INVALID_ARGUMENT when `xml` is not well-formed, has a DOCTYPE, or nests
// deeper than 32 elements.
absl::StatusOr<XmlTexts> ParseXmlTexts(absl::string_view xml);

// The text at `path`, or "" when absent.
std::string XmlText(XmlTexts const& texts, absl::string_view path);

}  // namespace linkgateway::adapters::auth

#endif  // LINKGATEWAY_ADAPTERS_AUTH_XML_TEXT_H_
