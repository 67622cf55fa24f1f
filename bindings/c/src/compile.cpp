// scopegate.h: compiling a policy (scopegate::check_files, check_source) and reading its
// diagnostics; the status strings and the version.
#include <filesystem>
#include <memory>
#include <utility>
#include <vector>

#include "handles.hpp"
#include "scopegate/dsl.hpp"

namespace {

using scopegate::c::guarded;

scopegate_diagnostics::Record record_of(const scopegate::Diagnostic& diagnostic) {
  scopegate_diagnostics::Record record;
  if (diagnostic.span.file) {
    record.file = diagnostic.span.file->name;
    record.line = diagnostic.span.line;
    record.column = diagnostic.span.column;
  }
  record.code = diagnostic.code;
  record.message = diagnostic.message;
  record.help = diagnostic.help;
  switch (diagnostic.severity) {
    case scopegate::Severity::error:
      record.severity = SCOPEGATE_SEVERITY_ERROR;
      break;
    case scopegate::Severity::warning:
      record.severity = SCOPEGATE_SEVERITY_WARNING;
      break;
    case scopegate::Severity::note:
      record.severity = SCOPEGATE_SEVERITY_NOTE;
      break;
  }
  return record;
}

// Hands the compile's outcome to the caller: the policy, or the status that says why
// not, and the diagnostics when asked for.
scopegate_status finish(scopegate::Compilation compilation, scopegate_policy** policy,
                        scopegate_diagnostics** diagnostics) {
  std::unique_ptr<scopegate_diagnostics> records;
  if (diagnostics != nullptr) {
    records = std::make_unique<scopegate_diagnostics>();
    for (const auto& diagnostic : compilation.diagnostics.items()) {
      records->records.push_back(record_of(diagnostic));
    }
    records->error_count = compilation.diagnostics.error_count();
    if (!compilation.diagnostics.empty()) records->text = compilation.diagnostics.render();
  }
  std::unique_ptr<scopegate_policy> compiled;
  if (compilation.policy) {
    compiled = std::make_unique<scopegate_policy>();
    compiled->policy = std::move(compilation.policy);
  }
  const scopegate_status status = compiled ? SCOPEGATE_OK : SCOPEGATE_ERROR_COMPILE;
  *policy = compiled.release();
  if (diagnostics != nullptr) *diagnostics = records.release();
  return status;
}

}  // namespace

extern "C" {

const char* scopegate_status_string(scopegate_status status) {
  switch (status) {
    case SCOPEGATE_OK:
      return "ok";
    case SCOPEGATE_ERROR_NULL_ARGUMENT:
      return "null argument";
    case SCOPEGATE_ERROR_INVALID_ARGUMENT:
      return "invalid argument";
    case SCOPEGATE_ERROR_COMPILE:
      return "the policy has errors";
    case SCOPEGATE_ERROR_POLICY_USED:
      return "the policy was already given to an engine";
    case SCOPEGATE_ERROR_OUT_OF_MEMORY:
      return "out of memory";
    case SCOPEGATE_ERROR_INTERNAL:
      return "internal error";
  }
  return "unknown status";
}

const char* scopegate_version(void) { return SCOPEGATE_C_VERSION; }

scopegate_status scopegate_compile_files(const char* const* paths, size_t count,
                                         scopegate_policy** policy,
                                         scopegate_diagnostics** diagnostics) {
  if (policy == nullptr || (paths == nullptr && count != 0)) return SCOPEGATE_ERROR_NULL_ARGUMENT;
  for (size_t i = 0; i < count; ++i) {
    if (paths[i] == nullptr) return SCOPEGATE_ERROR_NULL_ARGUMENT;
  }
  return guarded([&] {
    std::vector<std::filesystem::path> files(paths, paths + count);
    return finish(scopegate::check_files(files), policy, diagnostics);
  });
}

scopegate_status scopegate_compile_text(const char* file_name, const char* text,
                                        scopegate_policy** policy,
                                        scopegate_diagnostics** diagnostics) {
  if (file_name == nullptr || text == nullptr || policy == nullptr) {
    return SCOPEGATE_ERROR_NULL_ARGUMENT;
  }
  return guarded(
      [&] { return finish(scopegate::check_source(file_name, text), policy, diagnostics); });
}

void scopegate_policy_free(scopegate_policy* policy) { delete policy; }

size_t scopegate_diagnostics_count(const scopegate_diagnostics* diagnostics) {
  return diagnostics == nullptr ? 0 : diagnostics->records.size();
}

size_t scopegate_diagnostics_error_count(const scopegate_diagnostics* diagnostics) {
  return diagnostics == nullptr ? 0 : diagnostics->error_count;
}

scopegate_status scopegate_diagnostics_get(const scopegate_diagnostics* diagnostics, size_t index,
                                           scopegate_diagnostic* out) {
  if (diagnostics == nullptr || out == nullptr) return SCOPEGATE_ERROR_NULL_ARGUMENT;
  if (index >= diagnostics->records.size()) return SCOPEGATE_ERROR_INVALID_ARGUMENT;
  const auto& record = diagnostics->records[index];
  *out = scopegate_diagnostic{record.file.c_str(), record.line,         record.column,
                              record.severity,     record.code.c_str(), record.message.c_str(),
                              record.help.c_str()};
  return SCOPEGATE_OK;
}

const char* scopegate_diagnostics_text(const scopegate_diagnostics* diagnostics) {
  return diagnostics == nullptr ? "" : diagnostics->text.c_str();
}

void scopegate_diagnostics_free(scopegate_diagnostics* diagnostics) { delete diagnostics; }

}  // extern "C"
