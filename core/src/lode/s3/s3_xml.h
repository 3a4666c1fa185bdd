// The few S3 XML documents the store reads (libxml2): error bodies, ListObjectsV2 pages and the
// upload id of a new multipart upload.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace quarry::lode::s3xml {

struct ErrorBody {
  std::string code;     // e.g. "PreconditionFailed"; empty when the body is not an <Error>
  std::string message;  // the human text
};
// Only the root element <Error> counts (a 200 answer to CompleteMultipartUpload may be one).
ErrorBody ParseError(std::string_view body);

struct ListPage {
  std::vector<std::string> keys;
  bool truncated = false;
  std::string next_token;
  bool ok = false;  // the body was a <ListBucketResult>
};
ListPage ParseListPage(std::string_view body);

// <InitiateMultipartUploadResult><UploadId>; empty when absent.
std::string ParseUploadId(std::string_view body);

// Text with & < > " escaped, for the CompleteMultipartUpload body.
std::string Escape(std::string_view text);

}  // namespace quarry::lode::s3xml
