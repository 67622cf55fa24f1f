#include "server/provider.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace scopegate::server {

namespace {

bool all_of_class(std::string_view text, int (*test)(int)) {
  return std::all_of(text.begin(), text.end(),
                     [test](char c) { return test(static_cast<unsigned char>(c)) != 0; });
}

// What can be told about credential data without calling the cloud: the formats each
// provider documents. Messages name fields, never their values.
std::optional<std::string> offline_problem(const Credential& credential,
                                           const nlohmann::json& data) {
  const auto text = [&](const char* field) {
    const auto found = data.find(field);
    return found != data.end() && found->is_string() ? found->get<std::string>() : std::string();
  };
  if (credential.provider == "AWS") {
    const auto id = text("accessKeyId");
    if (id.size() != 20 || (id.rfind("AKIA", 0) != 0 && id.rfind("ASIA", 0) != 0) ||
        !all_of_class(id, [](int c) { return std::isupper(c) || std::isdigit(c) ? 1 : 0; })) {
      return "accessKeyId is not an AWS access key id (AKIA or ASIA and 16 more capitals or "
             "digits)";
    }
    if (text("secretAccessKey").size() != 40) return "secretAccessKey is not 40 characters long";
  } else if (credential.provider == "GCP") {
    if (text("type") != "service_account") return "type is not `service_account`";
    if (text("private_key").find("-----BEGIN PRIVATE KEY-----") == std::string::npos) {
      return "private_key is not a PEM private key";
    }
    if (text("client_email").find('@') == std::string::npos) {
      return "client_email is not an email address";
    }
  } else if (credential.provider == "APISIX") {
    const auto endpoint = text("endpoint");
    if (endpoint.rfind("http://", 0) != 0 && endpoint.rfind("https://", 0) != 0) {
      return "endpoint is not an http:// or https:// URL";
    }
  }
  return std::nullopt;
}

class ImmediateProvider final : public FirewallProvider {
 public:
  ProviderOutcome apply(const Resource& resource, const SessionResourceIp& entry) override {
    return {true, fmt::format("local:{}:{}", resource.id, entry.ip_address), std::nullopt};
  }
  ProviderOutcome remove(const SessionResourceIp&) override { return {}; }

  ProviderOutcome verify_credential(const Credential& credential, std::string_view data) override {
    const auto parsed = nlohmann::json::parse(data, nullptr, false);
    if (!parsed.is_object()) return {false, std::nullopt, "the credential data is not an object"};
    if (auto problem = offline_problem(credential, parsed)) {
      return {false, std::nullopt, std::move(problem)};
    }
    return {};
  }
  ProviderOutcome verify_resource(const Resource& resource, const Credential& credential,
                                  std::string_view data) override {
    if (resource.provider != credential.provider) {
      return {false, std::nullopt,
              fmt::format("the resource's provider is {}, its credential's {}", resource.provider,
                          credential.provider)};
    }
    return verify_credential(credential, data);
  }
  ProviderOutcome apply_static(const Resource& resource, const StaticIpRule& rule) override {
    return {true, fmt::format("local:{}:{}", resource.id, rule.ip_address), std::nullopt};
  }
  ProviderOutcome remove_static(const StaticIpRule&, const StaticIpRuleTarget&) override {
    return {};
  }
};

}  // namespace

std::unique_ptr<FirewallProvider> make_immediate_provider() {
  return std::make_unique<ImmediateProvider>();
}

}  // namespace scopegate::server
