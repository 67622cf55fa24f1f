// Fuzz target (a): policy text -> compile_source(). Whatever the bytes, the compiler
// returns a Policy or diagnostics: no crash, leak, undefined behaviour or escaping
// exception. Diagnostics are rendered (their spans are read back from the text); a
// Policy is asked about each of its first endpoints on a path made from its template,
// and every Decision is checked against check_decision().
// Input: the bytes of one policy file, named "fuzz.policy". Seeds: corpus/policy_compile/.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "check_decision.hpp"
#include "scopegate/dsl.hpp"

namespace {

using namespace scopegate;
using fuzz::require;

// A concrete path the template matches: `{name}`, `*` and `**` become one segment
// "%FF", which decodes to a byte no literal may contain.
std::string path_for(const Template& parsed) {
  if (parsed.segments.empty()) return "/";
  std::string path;
  for (const Segment& segment : parsed.segments) {
    path += '/';
    path += segment.kind == SegmentKind::literal ? std::string_view(segment.text) : "%FF";
  }
  return path;
}

void check_diagnostics(const Diagnostics& diagnostics, std::string_view text) {
  require(diagnostics.error_count() > 0, "a failed compile reports an error");
  for (const Diagnostic& diagnostic : diagnostics.items()) {
    require(!diagnostic.code.empty() && !diagnostic.message.empty(),
            "a diagnostic has a code and a message");
    if (diagnostic.span.file) {
      require(diagnostic.span.offset <= text.size(), "a span starts within the file");
    }
  }
  require(!diagnostics.render().empty(), "diagnostics render to text");
}

void check_policy(const Policy& policy) {
  std::vector<std::string_view> every_scope;
  for (const Scope& scope : policy.scopes()) every_scope.push_back(scope.name);
  const Principal key = policy.principal_for_key(every_scope);
  const Principal user =
      policy.roles().empty() ? Principal() : policy.principal_for_role(policy.roles()[0].name);
  const Principal nobody;

  constexpr std::size_t max_endpoints = 32;
  std::size_t asked = 0;
  for (const Endpoint& endpoint : policy.endpoints()) {
    if (++asked > max_endpoints) break;
    const std::string path = path_for(endpoint.parsed());
    const std::string_view method =
        endpoint.method == Method::any ? std::string_view("GET") : to_string(endpoint.method);
    for (const Principal* principal : {&key, &user, &nobody}) {
      const Decision decision = policy.decide(*principal, method, path);
      fuzz::check_decision(decision, path);
      require(decision.reason() != Reason::invalid_path,
              "a path made from a valid template is valid");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto compiled = compile_source("fuzz.policy", text);
  if (compiled) {
    check_policy(compiled.value());
  } else {
    check_diagnostics(compiled.error(), text);
  }
  return 0;
}
