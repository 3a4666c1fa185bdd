#include "lode/s3/aws_credentials.h"

#include <time.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "quarry/http_client.h"
#include "quarry/redact.h"

namespace quarry::lode {
namespace {

using SysClock = std::chrono::system_clock;

std::optional<std::string> Env(const AwsEnvironment& env, const std::string& name) {
  std::optional<std::string> v;
  if (env.getenv) {
    v = env.getenv(name);
  } else if (const char* raw = std::getenv(name.c_str())) {
    v = std::string(raw);
  }
  if (v && v->empty()) v.reset();
  return v;
}

SysClock::time_point Now(const AwsEnvironment& env) {
  return env.now ? env.now() : SysClock::now();
}

std::string_view Trim(std::string_view s) {
  const auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

using IniSection = std::map<std::string, std::string>;

// The key/value lines of section `want` in an INI file (the AWS shared-file format); nullopt
// when the file or the section is absent.
std::optional<IniSection> ReadIniSection(const std::string& path, const std::string& want) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::optional<IniSection> out;
  bool inside = false;
  std::string line;
  while (std::getline(in, line)) {
    std::string_view l = Trim(line);
    if (l.empty() || l.front() == '#' || l.front() == ';') continue;
    if (l.front() == '[' && l.back() == ']') {
      inside = Trim(l.substr(1, l.size() - 2)) == want;
      if (inside && !out) out.emplace();
      continue;
    }
    if (!inside) continue;
    const size_t eq = l.find('=');
    if (eq == std::string_view::npos) continue;
    (*out)[std::string(Trim(l.substr(0, eq)))] = std::string(Trim(l.substr(eq + 1)));
  }
  return out;
}

std::string HomeFile(const AwsEnvironment& env, const char* override_var, const char* name) {
  if (auto p = Env(env, override_var)) return *p;
  auto home = Env(env, "HOME");
  return (home ? *home : std::string()) + "/.aws/" + name;
}

std::string Profile(const AwsEnvironment& env) {
  auto p = Env(env, "AWS_PROFILE");
  return p ? *p : "default";
}

std::optional<IniSection> ConfigSection(const AwsEnvironment& env) {
  const std::string profile = Profile(env);
  const std::string path = HomeFile(env, "AWS_CONFIG_FILE", "config");
  // The config file names profiles "[profile x]", except the default one.
  if (auto s = ReadIniSection(path, "profile " + profile)) return s;
  if (profile == "default") return ReadIniSection(path, "default");
  return std::nullopt;
}

std::optional<AwsCredentials> KeysOf(const IniSection& s) {
  auto id = s.find("aws_access_key_id");
  auto secret = s.find("aws_secret_access_key");
  if (id == s.end() || secret == s.end() || id->second.empty() || secret->second.empty()) {
    return std::nullopt;
  }
  AwsCredentials c;
  c.access_key = id->second;
  c.secret_key = secret->second;
  if (auto t = s.find("aws_session_token"); t != s.end()) c.session_token = t->second;
  c.source = "shared files";
  return c;
}

// "2026-12-04T02:00:00Z" (fractions and an offset of Z only, as both endpoints send).
std::optional<SysClock::time_point> ParseIsoTime(const std::string& text) {
  struct tm tm {};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) return std::nullopt;
  if (*end == '.') {
    ++end;
    while (*end >= '0' && *end <= '9') ++end;
  }
  if (*end != 'Z' && *end != '\0') return std::nullopt;
  return SysClock::from_time_t(timegm(&tm));
}

StatusOr<http::Response> Fetch(const AwsEnvironment& env, http::Request req) {
  req.timeout = env.http_timeout;
  req.connect_timeout = env.http_timeout;
  req.keep_body = true;
  return http::Send(req);
}

}  // namespace

std::optional<AwsCredentials> SharedFileCredentials(const AwsEnvironment& env) {
  const std::string profile = Profile(env);
  if (auto s =
          ReadIniSection(HomeFile(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials"), profile)) {
    if (auto c = KeysOf(*s)) return c;
  }
  if (auto s = ConfigSection(env)) return KeysOf(*s);
  return std::nullopt;
}

std::string SharedConfigRegion(const AwsEnvironment& env) {
  auto s = ConfigSection(env);
  if (!s) return "";
  auto it = s->find("region");
  return it == s->end() ? "" : it->second;
}

std::string ResolveAwsRegion(const std::string& flag, const AwsEnvironment& env) {
  if (!flag.empty()) return flag;
  if (auto r = Env(env, "AWS_REGION")) return *r;
  if (auto r = Env(env, "AWS_DEFAULT_REGION")) return *r;
  if (std::string r = SharedConfigRegion(env); !r.empty()) return r;
  return "us-east-1";
}

std::string ContainerCredentialsUrl(const AwsEnvironment& env) {
  if (auto full = Env(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI")) return *full;
  if (auto rel = Env(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    return "http://169.254.170.2" + (rel->front() == '/' ? *rel : "/" + *rel);
  }
  return "";
}

StatusOr<AwsCredentials> ParseTemporaryCredentials(std::string_view json, std::string source) {
  // The body holds a secret: parse errors say what is missing, never echo the text.
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object()) return InvalidArgumentError(source + " credentials: answer is not JSON");
  if (j.contains("Code") && j["Code"].is_string() && j["Code"] != "Success") {
    return InvalidArgumentError(source + " credentials: code " +
                                PrintableValue(j["Code"].get<std::string>(), 40));
  }
  auto str = [&](const char* k) {
    return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
  };
  AwsCredentials c;
  c.access_key = str("AccessKeyId");
  c.secret_key = str("SecretAccessKey");
  c.session_token = str("Token");
  c.source = std::move(source);
  if (c.access_key.empty() || c.secret_key.empty()) {
    return InvalidArgumentError(c.source + " credentials: AccessKeyId or SecretAccessKey missing");
  }
  if (std::string exp = str("Expiration"); !exp.empty()) {
    c.expiration = ParseIsoTime(exp);
    if (!c.expiration) {
      return InvalidArgumentError(c.source + " credentials: unreadable Expiration " +
                                  PrintableValue(exp, 40));
    }
  }
  return c;
}

AwsCredentialChain::AwsCredentialChain(AwsEnvironment env) : env_(std::move(env)) {}

void AwsCredentialChain::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  if (cached_ && cached_->expiration) cached_.reset();
}

StatusOr<AwsCredentials> AwsCredentialChain::Get() {
  std::lock_guard<std::mutex> lock(mu_);
  if (cached_) {
    if (!cached_->expiration || Now(env_) + env_.refresh_margin < *cached_->expiration) {
      return *cached_;
    }
  }
  StatusOr<AwsCredentials> fresh = Resolve();
  if (!fresh.ok()) {
    // A refresh that fails keeps serving keys that have not expired yet.
    if (cached_ && Now(env_) < *cached_->expiration) return *cached_;
    return fresh.status();
  }
  cached_ = *fresh;
  return *fresh;
}

StatusOr<AwsCredentials> AwsCredentialChain::Resolve() {
  auto id = Env(env_, "AWS_ACCESS_KEY_ID");
  auto secret = Env(env_, "AWS_SECRET_ACCESS_KEY");
  if (id && secret) {
    AwsCredentials c;
    c.access_key = *id;
    c.secret_key = *secret;
    if (auto t = Env(env_, "AWS_SESSION_TOKEN")) c.session_token = *t;
    c.source = "environment";
    return c;
  }
  if (auto c = SharedFileCredentials(env_)) return *c;
  QUARRY_ASSIGN_OR_RETURN(std::optional<AwsCredentials> container, FromContainer());
  if (container) return *container;
  QUARRY_ASSIGN_OR_RETURN(std::optional<AwsCredentials> imds, FromInstanceMetadata());
  if (imds) return *imds;
  return InvalidArgumentError(
      "no AWS credentials found (NoCredentialProviders: tried the environment, the shared files "
      "for profile \"" +
      PrintableValue(Profile(env_), 40) + "\", the container endpoint and instance metadata)");
}

StatusOr<std::optional<AwsCredentials>> AwsCredentialChain::FromContainer() {
  const std::string url = ContainerCredentialsUrl(env_);
  if (url.empty()) return std::optional<AwsCredentials>();
  http::Request req;
  req.url = url;
  std::optional<std::string> token;
  if (auto file = Env(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    std::ifstream in(*file);
    std::stringstream ss;
    ss << in.rdbuf();
    token = std::string(Trim(ss.str()));
  } else {
    token = Env(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
  }
  if (token) req.headers.emplace_back("Authorization", *token);
  StatusOr<http::Response> resp = Fetch(env_, req);
  if (!resp.ok()) {
    return UnavailableError("container credentials: " + resp.status().message());
  }
  if (resp->status != 200) {
    return UnavailableError("container credentials: " + RedactUrl(url) + " answered HTTP " +
                            std::to_string(resp->status));
  }
  QUARRY_ASSIGN_OR_RETURN(AwsCredentials c, ParseTemporaryCredentials(resp->body, "container"));
  return std::optional<AwsCredentials>(std::move(c));
}

StatusOr<std::optional<AwsCredentials>> AwsCredentialChain::FromInstanceMetadata() {
  if (auto off = Env(env_, "AWS_EC2_METADATA_DISABLED"); off && *off == "true") {
    return std::optional<AwsCredentials>();
  }
  std::string base =
      Env(env_, "AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or("http://169.254.169.254");
  while (!base.empty() && base.back() == '/') base.pop_back();

  // IMDSv2: a session token first (PUT), then the role name and its credentials.
  http::Request token_req;
  token_req.method = "PUT";
  token_req.url = base + "/latest/api/token";
  token_req.headers = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}};
  StatusOr<http::Response> token = Fetch(env_, token_req);
  if (!token.ok() || token->status != 200) {
    // Not on an instance (or metadata off): the chain simply has nothing here.
    return std::optional<AwsCredentials>();
  }
  const std::string session(Trim(token->body));
  const std::string creds_path = base + "/latest/meta-data/iam/security-credentials/";
  http::Request role_req;
  role_req.url = creds_path;
  role_req.headers = {{"X-aws-ec2-metadata-token", session}};
  StatusOr<http::Response> role = Fetch(env_, role_req);
  if (!role.ok()) return UnavailableError("instance metadata: " + role.status().message());
  if (role->status != 200) {
    return UnavailableError("instance metadata: no IAM role (HTTP " + std::to_string(role->status) +
                            ")");
  }
  std::string name(Trim(std::string_view(role->body).substr(0, role->body.find('\n'))));
  if (name.empty()) return UnavailableError("instance metadata: no IAM role attached");
  http::Request cred_req = role_req;
  cred_req.url = creds_path + name;
  StatusOr<http::Response> cred = Fetch(env_, cred_req);
  if (!cred.ok()) return UnavailableError("instance metadata: " + cred.status().message());
  if (cred->status != 200) {
    return UnavailableError("instance metadata: credentials answered HTTP " +
                            std::to_string(cred->status));
  }
  QUARRY_ASSIGN_OR_RETURN(AwsCredentials c,
                          ParseTemporaryCredentials(cred->body, "instance metadata"));
  return std::optional<AwsCredentials>(std::move(c));
}

}  // namespace quarry::lode
