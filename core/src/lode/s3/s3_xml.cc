#include "lode/s3/s3_xml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <memory>

namespace quarry::lode::s3xml {
namespace {

using Doc = std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)>;

Doc Read(std::string_view body) {
  if (body.empty()) return Doc(nullptr, xmlFreeDoc);
  // No network, no entity expansion, no error printing: the body comes from a remote server.
  const int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS;
  return Doc(xmlReadMemory(body.data(), static_cast<int>(body.size()), "s3.xml", nullptr, opts),
             xmlFreeDoc);
}

bool Is(const xmlNode* n, const char* name) {
  return n->type == XML_ELEMENT_NODE &&
         xmlStrcmp(n->name, reinterpret_cast<const xmlChar*>(name)) == 0;
}

std::string Text(const xmlNode* n) {
  xmlChar* t = xmlNodeGetContent(n);
  std::string out = t ? reinterpret_cast<const char*>(t) : "";
  xmlFree(t);
  return out;
}

const xmlNode* Child(const xmlNode* parent, const char* name) {
  for (const xmlNode* c = parent->children; c; c = c->next) {
    if (Is(c, name)) return c;
  }
  return nullptr;
}

std::string ChildText(const xmlNode* parent, const char* name) {
  const xmlNode* c = Child(parent, name);
  return c ? Text(c) : "";
}

}  // namespace

ErrorBody ParseError(std::string_view body) {
  ErrorBody out;
  Doc doc = Read(body);
  if (!doc) return out;
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!root || !Is(root, "Error")) return out;
  out.code = ChildText(root, "Code");
  out.message = ChildText(root, "Message");
  return out;
}

ListPage ParseListPage(std::string_view body) {
  ListPage page;
  Doc doc = Read(body);
  if (!doc) return page;
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!root || !Is(root, "ListBucketResult")) return page;
  page.ok = true;
  for (const xmlNode* c = root->children; c; c = c->next) {
    if (Is(c, "Contents")) {
      page.keys.push_back(ChildText(c, "Key"));
    } else if (Is(c, "IsTruncated")) {
      page.truncated = Text(c) == "true";
    } else if (Is(c, "NextContinuationToken")) {
      page.next_token = Text(c);
    }
  }
  return page;
}

std::string ParseUploadId(std::string_view body) {
  Doc doc = Read(body);
  if (!doc) return "";
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!root || !Is(root, "InitiateMultipartUploadResult")) return "";
  return ChildText(root, "UploadId");
}

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace quarry::lode::s3xml
