#include "adapters/auth/xml_text.h"

#include <expat.h>

#include <climits>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace linkgateway::adapters::auth {
namespace {

constexpr char kNamespaceSeparator = '\x01';
constexpr std::size_t kMaxDepth = 32;

struct Reader {
  XML_Parser parser = nullptr;
  std::vector<std::string> path;
  std::vector<std::string> text;
  XmlTexts out;
  std::string error;

  void Stop(std::string why) {
    if (error.empty()) error = std::move(why);
    XML_StopParser(parser, XML_FALSE);
  }
};

std::string LocalName(char const* name) {
  std::string full(name);
  auto separator = full.rfind(kNamespaceSeparator);
  return separator == std::string::npos ? full : full.substr(separator + 1);
}

void XMLCALL OnStart(void* data, XML_Char const* name, XML_Char const** /*attributes*/) {
  auto* reader = static_cast<Reader*>(data);
  if (reader->path.size() >= kMaxDepth) return reader->Stop("elements nest too deep");
  reader->path.push_back(LocalName(name));
  reader->text.emplace_back();
}

void XMLCALL OnEnd(void* data, XML_Char const* /*name*/) {
  auto* reader = static_cast<Reader*>(data);
  if (reader->path.empty()) return;
  reader->out.emplace(absl::StrJoin(reader->path, "/"), std::move(reader->text.back()));
  reader->path.pop_back();
  reader->text.pop_back();
}

void XMLCALL OnText(void* data, XML_Char const* s, int length) {
  auto* reader = static_cast<Reader*>(data);
  if (!reader->text.empty()) reader->text.back().append(s, static_cast<std::size_t>(length));
}

void XMLCALL OnDoctype(void* data, XML_Char const*, XML_Char const*, XML_Char const*, int) {
  static_cast<Reader*>(data)->Stop("a document type declaration is not accepted");
}

}  // namespace

absl::StatusOr<XmlTexts> ParseXmlTexts(absl::string_view xml) {
  if (xml.size() > static_cast<std::size_t>(INT_MAX)) {
    return absl::InvalidArgumentError("the XML document is too large");
  }
  std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> parser(
      XML_ParserCreateNS(nullptr, kNamespaceSeparator), &XML_ParserFree);
  if (parser == nullptr) return absl::ResourceExhaustedError("cannot create an XML parser");
  Reader reader;
  reader.parser = parser.get();
  XML_SetUserData(parser.get(), &reader);
  XML_SetElementHandler(parser.get(), &OnStart, &OnEnd);
  XML_SetCharacterDataHandler(parser.get(), &OnText);
  XML_SetStartDoctypeDeclHandler(parser.get(), &OnDoctype);
  if (XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), XML_TRUE) !=
      XML_STATUS_OK) {
    if (!reader.error.empty()) return absl::InvalidArgumentError(reader.error);
    return absl::InvalidArgumentError(
        absl::StrCat("not well-formed XML (line ", XML_GetCurrentLineNumber(parser.get()),
                     "): ", XML_ErrorString(XML_GetErrorCode(parser.get()))));
  }
  return std::move(reader.out);
}

std::string XmlText(XmlTexts const& texts, absl::string_view path) {
  auto it = texts.find(std::string(path));
  return it == texts.end() ? "" : it->second;
}

}  // namespace linkgateway::adapters::auth
