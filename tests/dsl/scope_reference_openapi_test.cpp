// `scopegate docs --format openapi` (dsl/scope_reference.hpp): the document is checked
// against the structure OpenAPI 3.1 requires (openapi version, info, paths, an operation
// per method with responses, every `{param}` of a path declared as a path parameter and
// nothing else, security schemes that exist, unique operation ids), and against the
// policy: every endpoint and method is an operation with the scopes that grant it.
#include <catch2/catch.hpp>

#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "scopegate/dsl.hpp"
#include "scopegate/dsl/scope_reference.hpp"
#include "test_files.hpp"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using scopegate::testing::contains;

const fs::path repo_dir = SCOPEGATE_SOURCE_DIR;

const std::set<std::string> http_methods = {"get",  "put",   "post",  "delete",
                                            "head", "patch", "trace", "options"};

// Every way `document` breaks the OpenAPI 3.1 structure checked here; empty when none.
std::vector<std::string> openapi_problems(const Json& document) {
  std::vector<std::string> problems;
  const auto problem = [&problems](std::string text) { problems.push_back(std::move(text)); };
  if (!document.is_object()) return {"the document is not an object"};
  if (!document.contains("openapi") || !document["openapi"].is_string() ||
      !std::regex_match(document["openapi"].get<std::string>(), std::regex(R"(3\.1\.\d+)"))) {
    problem("openapi is not 3.1.x");
  }
  const Json& info = document.value("info", Json());
  if (!info.is_object() || !info.value("title", Json()).is_string() ||
      !info.value("version", Json()).is_string()) {
    problem("info needs a title and a version, both strings");
  }
  std::set<std::string> schemes;
  const Json components = document.value("components", Json::object());
  const Json declared_schemes = components.value("securitySchemes", Json::object());
  for (const auto& [name, scheme] : declared_schemes.items()) {
    schemes.insert(name);
    const std::string type = scheme.value("type", "");
    if (type == "apiKey" && (scheme.value("in", "") != "header" || !scheme.contains("name"))) {
      problem("apiKey scheme " + name + " needs in: header and a name");
    } else if (type == "http" && !scheme.contains("scheme")) {
      problem("http scheme " + name + " needs a scheme");
    } else if (type != "apiKey" && type != "http") {
      problem("scheme " + name + " has an unexpected type");
    }
  }
  const Json& paths = document.value("paths", Json());
  if (!paths.is_object() || paths.empty()) return problems.push_back("no paths"), problems;
  std::set<std::string> ids;
  std::set<std::string> shapes;
  const std::regex placeholder(R"(\{([^}/]*)\})");
  for (const auto& [path, item] : paths.items()) {
    if (path.empty() || path[0] != '/') problem("path " + path + " does not start with /");
    std::set<std::string> in_path;
    for (std::sregex_iterator it(path.begin(), path.end(), placeholder), end; it != end; ++it) {
      if (!in_path.insert((*it)[1]).second) problem(path + ": a parameter name twice");
    }
    if (!shapes.insert(std::regex_replace(path, placeholder, "{}")).second) {
      problem(path + ": the same templated path as another one");
    }
    for (const auto& [method, operation] : item.items()) {
      const std::string where = method + " " + path;
      if (http_methods.count(method) == 0) {
        problem(where + ": not an HTTP method");
        continue;
      }
      const Json& responses = operation.value("responses", Json());
      if (!responses.is_object() || responses.empty()) problem(where + ": no responses");
      for (const auto& [status, response] : responses.items()) {
        if (!std::regex_match(status, std::regex(R"([1-5]\d\d|default)"))) {
          problem(where + ": response key " + status);
        }
        if (!response.value("description", Json()).is_string()) {
          problem(where + ": response " + status + " has no description");
        }
      }
      const std::string id = operation.value("operationId", "");
      if (id.empty() || !ids.insert(id).second)
        problem(where + ": missing or repeated operationId");
      std::set<std::string> declared;
      const Json parameters = operation.value("parameters", Json::array());
      for (const Json& parameter : parameters) {
        if (parameter.value("in", "") != "path") continue;
        const std::string name = parameter.value("name", "");
        declared.insert(name);
        if (parameter.value("required", false) != true) {
          problem(where + ": path parameter " + name + " is not required");
        }
        if (!parameter.contains("schema"))
          problem(where + ": parameter " + name + " has no schema");
        if (in_path.count(name) == 0)
          problem(where + ": parameter " + name + " is not in the path");
      }
      for (const std::string& name : in_path) {
        if (declared.count(name) == 0) problem(where + ": {" + name + "} is not declared");
      }
      const Json security = operation.value("security", Json::array());
      for (const Json& requirement : security) {
        for (const auto& [scheme, scopes] : requirement.items()) {
          if (schemes.count(scheme) == 0) problem(where + ": unknown security scheme " + scheme);
          if (!scopes.is_array()) problem(where + ": " + scheme + " scopes not a list");
        }
      }
    }
  }
  return problems;
}

Json openapi_of(const scopegate::Policy& policy) {
  return Json::parse(scopegate::scope_reference(policy, scopegate::ReferenceFormat::openapi));
}

const std::string rich_policy = R"(scope files:read {
  summary "Read files"
  GET /files/{id}        "Get a \"file\"\n\tback \\ slash"
  GET /files/{id}/parts/* "Get a part"
  GET /raw/**            "Raw bytes" when request.query.size <= 100
}
scope files:write {
  implies files:read
  * /files/{id} "Change a file"
}
user scope admin:all {
  * /admin/** "Administration"
}
public {
  GET /healthz "Liveness"
}
authenticated {
  GET /me "Me"
}
role owner { scopes files:write admin:all }
forbid DELETE /files/{id} when principal.kind == "api_key" { message "keys never delete" }
)";

}  // namespace

TEST_CASE("the OpenAPI checks find a broken document") {
  const Json broken = Json::parse(R"({
    "openapi": "3.0.3",
    "info": {"title": "x"},
    "paths": {
      "/a/{id}": {"get": {"operationId": "a", "parameters": [{"name": "other", "in": "path",
                  "required": true, "schema": {}}], "security": [{"nope": []}]}},
      "/b/{x}": {"fetch": {}, "get": {"operationId": "a", "responses": {"200": {}}}}
    }
  })");
  const std::vector<std::string> problems = openapi_problems(broken);
  const std::vector<std::string> expected = {
      "openapi is not 3.1.x",
      "info needs a title and a version, both strings",
      "get /a/{id}: no responses",
      "get /a/{id}: parameter other is not in the path",
      "get /a/{id}: {id} is not declared",
      "get /a/{id}: unknown security scheme nope",
      "get /b/{x}: response 200 has no description",
      "get /b/{x}: missing or repeated operationId",
      "get /b/{x}: {x} is not declared",
      "fetch /b/{x}: not an HTTP method",
  };
  for (const std::string& text : expected) {
    INFO(text);
    CHECK(std::find(problems.begin(), problems.end(), text) != problems.end());
  }
}

TEST_CASE("the OpenAPI document of the shipped policy is valid and has every endpoint") {
  auto policy = scopegate::compile_files({repo_dir / "policies"});
  REQUIRE(policy);
  const Json document = openapi_of(*policy);
  CHECK(openapi_problems(document) == std::vector<std::string>{});
  std::set<std::string> endpoints;
  for (const auto& [path, item] : document["paths"].items()) {
    for (const auto& [method, operation] : item.items()) {
      endpoints.insert(operation["x-scopegate-endpoint"].get<std::string>());
    }
  }
  CHECK(endpoints.size() == policy->endpoints().size());
  const Json& sessions = document["paths"]["/api/v1/sessions/{id}"]["get"];
  CHECK(sessions["x-scopes"] == Json{"sessions:read"});
  CHECK(sessions["security"] ==
        Json::parse(R"([{"apiKey": ["sessions:read"]}, {"bearerAuth": ["sessions:read"]}])"));
  CHECK(
      contains(sessions["description"].get<std::string>(), "API keys with scope `sessions:read`."));
  CHECK(document["paths"]["/healthz"]["get"]["security"] == Json::array());
  CHECK(document["components"]["securitySchemes"]["apiKey"]["name"] == "X-API-Key");
  CHECK(document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer");
}

TEST_CASE("OpenAPI: wildcards become declared path parameters, * methods every method") {
  auto policy = scopegate::compile_source("rich.policy", rich_policy);
  REQUIRE(policy);
  const Json document = openapi_of(*policy);
  CHECK(openapi_problems(document) == std::vector<std::string>{});
  const Json& paths = document["paths"];
  std::vector<std::string> keys;
  for (const auto& [path, item] : paths.items()) keys.push_back(path);
  CHECK(keys == std::vector<std::string>{"/files/{id}", "/files/{id}/parts/{segment1}", "/raw",
                                         "/raw/{rest}", "/admin", "/admin/{rest}", "/healthz",
                                         "/me"});
  // GET /files/{id} is files:read's (and files:write's through implies); the other
  // methods come from `* /files/{id}`.
  CHECK(paths["/files/{id}"]["get"]["x-scopes"] == Json{"files:read", "files:write"});
  CHECK(paths["/files/{id}"]["get"]["x-scopegate-also"] == Json{"* /files/{id}"});
  for (const char* method : {"put", "post", "delete", "options", "head", "patch"}) {
    INFO(method);
    CHECK(paths["/files/{id}"][method]["x-scopes"] == Json{"files:write"});
  }
  CHECK(paths["/files/{id}"]["get"]["operationId"] == "get_files_id");
  // Quotes, backslashes and control characters in policy text survive as JSON strings.
  CHECK(paths["/files/{id}"]["get"]["summary"] == "Get a \"file\"\n\tback \\ slash");
  // The forbid rule against keys deleting a file is in DELETE's description, no other's.
  CHECK(contains(paths["/files/{id}"]["delete"]["description"].get<std::string>(),
                 "Refused to API keys by `forbid DELETE /files/{id}` when `principal.kind == "
                 "\"api_key\"`: \"keys never delete\"."));
  CHECK_FALSE(contains(paths["/files/{id}"]["put"]["description"].get<std::string>(), "Refused"));
  // A conditional grant says so; a user-only endpoint has no API key requirement.
  CHECK(contains(paths["/raw/{rest}"]["get"]["description"].get<std::string>(),
                 "`files:read` grants it only when `request.query.size <= 100`."));
  CHECK(paths["/admin/{rest}"]["get"]["security"] ==
        Json::parse(R"([{"bearerAuth": ["admin:all"]}])"));
  CHECK(paths["/admin"]["delete"]["x-scopegate-endpoint"] == "* /admin/**");
  CHECK(paths["/healthz"]["get"]["security"] == Json::array());
  CHECK_FALSE(paths["/healthz"]["get"]["responses"].contains("401"));
  CHECK(paths["/me"]["get"]["security"] == Json::parse(R"([{"apiKey": []}, {"bearerAuth": []}])"));
  CHECK(paths["/me"]["get"]["responses"].contains("401"));
}

TEST_CASE("OpenAPI: a scope that grants an operation only through implies is listed") {
  auto policy = scopegate::compile_source("implies.policy", R"(scope read:org {
  GET /orgs/{org} "An organization"
}
scope repo {
  implies read:org
  GET /repos/{id} "A repository"
}
scope https://www.googleapis.com/auth/drive.readonly {
  GET /drive/files "Files"
}
scope https://www.googleapis.com/auth/drive {
  implies https://www.googleapis.com/auth/drive.readonly
}
user scope site:admin {
  implies repo
}
)");
  REQUIRE(policy);
  const Json document = openapi_of(*policy);
  CHECK(openapi_problems(document) == std::vector<std::string>{});
  const Json& org = document["paths"]["/orgs/{org}"]["get"];
  CHECK(org["x-scopes"] == Json{"read:org", "repo", "site:admin"});
  CHECK(org["security"] == Json::parse(R"([{"apiKey": ["read:org", "repo"]},
                                           {"bearerAuth": ["read:org", "repo", "site:admin"]}])"));
  CHECK(contains(org["description"].get<std::string>(),
                 "API keys with scope `read:org`, or through `implies`: `repo`."));
  CHECK(contains(org["description"].get<std::string>(),
                 "Signed-in users whose role holds `read:org`, or through `implies`: `repo`, "
                 "`site:admin`."));
  const Json& drive = document["paths"]["/drive/files"]["get"];
  CHECK(drive["x-scopes"] == Json{"https://www.googleapis.com/auth/drive.readonly",
                                  "https://www.googleapis.com/auth/drive"});
  CHECK(drive["security"][0]["apiKey"] == Json{"https://www.googleapis.com/auth/drive.readonly",
                                               "https://www.googleapis.com/auth/drive"});
  // A scope that grants it itself is not repeated as granting through implies.
  const Json& repos = document["paths"]["/repos/{id}"]["get"];
  CHECK(repos["x-scopes"] == Json{"repo", "site:admin"});
}
