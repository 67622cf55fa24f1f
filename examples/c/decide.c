/* A C program that embeds scopegate through scopegate.h: compiles the policy files given,
 * builds an API key holding the scopes given, decides one request and prints the
 * decision, much as `scopegate explain` does.
 *   scopegate_c_example POLICY_PATH METHOD TARGET [SCOPE...]
 * Exit status: 0 allowed, 1 refused, 2 usage or policy error. */
#include <stdio.h>

#include "scopegate.h"

static void print_field(const char* label, scopegate_string text) {
  if (text.size != 0) printf("%-10s %.*s\n", label, (int)text.size, text.data);
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s POLICY_PATH METHOD TARGET [SCOPE...]\n", argv[0]);
    return 2;
  }
  scopegate_policy* policy = NULL;
  scopegate_diagnostics* diagnostics = NULL;
  const char* const paths[] = {argv[1]};
  scopegate_status status = scopegate_compile_files(paths, 1, &policy, &diagnostics);
  fputs(scopegate_diagnostics_text(diagnostics), stderr); /* errors, or warnings */
  scopegate_diagnostics_free(diagnostics);
  if (status != SCOPEGATE_OK) {
    fprintf(stderr, "%s: %s\n", argv[1], scopegate_status_string(status));
    return 2;
  }

  scopegate_engine* engine = NULL;
  scopegate_principal* key = NULL;
  scopegate_decision* decision = NULL;
  status = scopegate_engine_new(policy, &engine);
  scopegate_policy_free(policy); /* the engine took what it needs */
  if (status == SCOPEGATE_OK) {
    status =
        scopegate_principal_for_key(engine, (const char* const*)argv + 4, (size_t)argc - 4, &key);
  }
  if (status == SCOPEGATE_OK) status = scopegate_decision_new(&decision);
  if (status == SCOPEGATE_OK) status = scopegate_decide(engine, key, argv[2], argv[3], decision);
  if (status != SCOPEGATE_OK) {
    fprintf(stderr, "scopegate: %s\n", scopegate_status_string(status));
  } else {
    const scopegate_string reason = scopegate_decision_reason_code(decision);
    printf("%s %d %.*s\n", scopegate_decision_allowed(decision) ? "ALLOW" : "DENY",
           scopegate_decision_status(decision), (int)reason.size, reason.data);
    print_field("message:", scopegate_decision_message(decision));
    if (scopegate_decision_has_endpoint(decision)) {
      const scopegate_string method = scopegate_decision_endpoint_method(decision);
      const scopegate_string path = scopegate_decision_endpoint_template(decision);
      printf("%-10s %.*s %.*s\n", "endpoint:", (int)method.size, method.data, (int)path.size,
             path.data);
    }
    for (size_t i = 0; i < scopegate_decision_param_count(decision); ++i) {
      const scopegate_string name = scopegate_decision_param_name(decision, i);
      const scopegate_string value = scopegate_decision_param_value(decision, i);
      printf("%-10s %.*s=%.*s\n", "param:", (int)name.size, name.data, (int)value.size, value.data);
    }
    for (size_t i = 0; i < scopegate_decision_required_scope_count(decision); ++i) {
      print_field("requires:", scopegate_decision_required_scope(decision, i));
    }
    print_field("granted:", scopegate_decision_granted_by(decision));
    const scopegate_string file = scopegate_decision_rule_file(decision);
    if (file.size != 0) {
      printf("%-10s %.*s:%u\n", "rule:", (int)file.size, file.data,
             (unsigned)scopegate_decision_rule_line(decision));
    }
  }
  const int allowed = scopegate_decision_allowed(decision);
  scopegate_decision_free(decision);
  scopegate_principal_free(key);
  scopegate_engine_free(engine);
  if (status != SCOPEGATE_OK) return 2;
  return allowed ? 0 : 1;
}
