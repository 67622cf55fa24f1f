/* Every function of scopegate.h, with its error paths: tests/c/CMakeLists.txt runs this
 * program against libscopegate.so and, built with the C interface under ASan+UBSan,
 * again (leaks and use after free show up there). Usage: c_api_test POLICIES_DIR */
#include <stdio.h>
#include <string.h>

#include "scopegate.h"

static int failures;

#define CHECK(condition)                                                            \
  do {                                                                              \
    if (!(condition)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #condition); \
      ++failures;                                                                   \
    }                                                                               \
  } while (0)

static int equals(scopegate_string text, const char* expected) {
  return text.data != NULL && text.size == strlen(expected) &&
         memcmp(text.data, expected, text.size) == 0;
}

static const char* const policy_text =
    "scope sessions:read {\n"
    "  summary \"View sessions.\"\n"
    "  GET /api/v1/sessions/{id}  \"Get session details\"\n"
    "}\n"
    "scope sessions:write {\n"
    "  summary \"Stop sessions.\"\n"
    "  POST /api/v1/sessions/{id}/stop  \"Stop a session\"\n"
    "}\n"
    "scope sessions:admin {\n"
    "  summary \"Everything on sessions.\"\n"
    "  implies sessions:read sessions:write\n"
    "}\n"
    "scope audit:read {\n"
    "  summary \"Read audit logs.\"\n"
    "  GET /api/v1/audit-logs  \"List audit logs\" when request.header.x-tenant == \"acme\"\n"
    "    and request.time < \"2030-01-01T00:00:00Z\"\n"
    "}\n"
    "role member { scopes sessions:read }\n"
    "public { GET /healthz  \"Liveness\" }\n"
    "forbid * /api/v1/** when principal.kind == \"api_key\" and principal.allowed_cidrs != []\n"
    "                     and not request.ip in principal.allowed_cidrs {\n"
    "  message \"API key is not allowed from this address\"\n"
    "}\n";

static void test_statuses(void) {
  CHECK(strcmp(scopegate_status_string(SCOPEGATE_OK), "ok") == 0);
  CHECK(strcmp(scopegate_status_string(SCOPEGATE_ERROR_NULL_ARGUMENT), "null argument") == 0);
  CHECK(strcmp(scopegate_status_string(SCOPEGATE_ERROR_INVALID_ARGUMENT), "invalid argument") == 0);
  CHECK(strcmp(scopegate_status_string(SCOPEGATE_ERROR_COMPILE), "the policy has errors") == 0);
  CHECK(strstr(scopegate_status_string(SCOPEGATE_ERROR_POLICY_USED), "already") != NULL);
  CHECK(strcmp(scopegate_status_string(SCOPEGATE_ERROR_OUT_OF_MEMORY), "out of memory") == 0);
  CHECK(strcmp(scopegate_status_string(SCOPEGATE_ERROR_INTERNAL), "internal error") == 0);
  CHECK(strcmp(scopegate_status_string((scopegate_status)99), "unknown status") == 0);
  CHECK(strcmp(scopegate_version(), SCOPEGATE_EXPECTED_VERSION) == 0);
  char header[32];
  snprintf(header, sizeof header, "%d.%d.%d", SCOPEGATE_VERSION_MAJOR, SCOPEGATE_VERSION_MINOR,
           SCOPEGATE_VERSION_PATCH);
  CHECK(strcmp(scopegate_version(), header) == 0);
}

static void test_compile_errors(const char* policies) {
  scopegate_policy* policy = (scopegate_policy*)&failures; /* must be overwritten */
  scopegate_diagnostics* diagnostics = NULL;
  const char* text = "scope a:b { summary \"x\" GET /x }\nrole r { scopes a:c }\n";
  CHECK(scopegate_compile_text("bad.policy", text, &policy, &diagnostics) ==
        SCOPEGATE_ERROR_COMPILE);
  CHECK(policy == NULL);
  CHECK(scopegate_diagnostics_count(diagnostics) == 1);
  CHECK(scopegate_diagnostics_error_count(diagnostics) == 1);
  scopegate_diagnostic d;
  CHECK(scopegate_diagnostics_get(diagnostics, 0, &d) == SCOPEGATE_OK);
  CHECK(strcmp(d.file, "bad.policy") == 0);
  CHECK(d.line == 2 && d.column == 17);
  CHECK(d.severity == SCOPEGATE_SEVERITY_ERROR);
  CHECK(strcmp(d.code, "unknown-scope") == 0);
  CHECK(strstr(d.message, "a:c") != NULL);
  CHECK(strstr(d.help, "a:b") != NULL); /* did you mean */
  CHECK(strstr(scopegate_diagnostics_text(diagnostics), "bad.policy:2:17: error") != NULL);
  CHECK(scopegate_diagnostics_get(diagnostics, 1, &d) == SCOPEGATE_ERROR_INVALID_ARGUMENT);
  CHECK(scopegate_diagnostics_get(NULL, 0, &d) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_diagnostics_get(diagnostics, 0, NULL) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  scopegate_diagnostics_free(diagnostics);

  /* A missing file is a diagnostic about that file, and no diagnostics were asked for. */
  const char* missing[] = {"/nonexistent/scopegate.policy"};
  CHECK(scopegate_compile_files(missing, 1, &policy, NULL) == SCOPEGATE_ERROR_COMPILE);
  CHECK(policy == NULL);
  CHECK(scopegate_compile_files(missing, 1, &policy, &diagnostics) == SCOPEGATE_ERROR_COMPILE);
  CHECK(scopegate_diagnostics_error_count(diagnostics) >= 1);
  CHECK(strstr(scopegate_diagnostics_text(diagnostics), "/nonexistent/scopegate.policy") != NULL);
  scopegate_diagnostics_free(diagnostics);

  /* The shipped policy compiles without a warning. */
  const char* shipped[] = {policies};
  CHECK(scopegate_compile_files(shipped, 1, &policy, &diagnostics) == SCOPEGATE_OK);
  CHECK(policy != NULL);
  CHECK(scopegate_diagnostics_count(diagnostics) == 0);
  CHECK(strcmp(scopegate_diagnostics_text(diagnostics), "") == 0);
  scopegate_diagnostics_free(diagnostics);
  scopegate_policy_free(policy);

  /* NULL arguments write nothing. */
  policy = NULL;
  CHECK(scopegate_compile_files(NULL, 1, &policy, NULL) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  const char* null_path[] = {NULL};
  CHECK(scopegate_compile_files(null_path, 1, &policy, NULL) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_compile_files(shipped, 1, NULL, NULL) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_compile_text(NULL, "", &policy, NULL) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_compile_text("x", NULL, &policy, NULL) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_compile_text("x", "", NULL, NULL) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(policy == NULL);
  CHECK(scopegate_diagnostics_count(NULL) == 0);
  CHECK(scopegate_diagnostics_error_count(NULL) == 0);
  CHECK(strcmp(scopegate_diagnostics_text(NULL), "") == 0);
  scopegate_diagnostics_free(NULL);
  scopegate_policy_free(NULL);
}

static scopegate_engine* make_engine(void) {
  scopegate_policy* policy = NULL;
  CHECK(scopegate_compile_text("test.policy", policy_text, &policy, NULL) == SCOPEGATE_OK);
  scopegate_engine* engine = NULL;
  CHECK(scopegate_engine_new(NULL, &engine) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_engine_new(policy, NULL) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_engine_new(policy, &engine) == SCOPEGATE_OK);
  scopegate_engine* second = NULL;
  CHECK(scopegate_engine_new(policy, &second) == SCOPEGATE_ERROR_POLICY_USED);
  CHECK(second == NULL);
  CHECK(scopegate_engine_replace(engine, policy) == SCOPEGATE_ERROR_POLICY_USED);
  scopegate_policy_free(policy);
  return engine;
}

/* A key holding `scopes`, and a decision to fill: the caller frees both. */
static scopegate_principal* make_key(scopegate_engine* engine, const char* const* scopes,
                                     size_t count) {
  scopegate_principal* key = NULL;
  CHECK(scopegate_principal_for_key(engine, scopes, count, &key) == SCOPEGATE_OK);
  return key;
}

static scopegate_decision* make_decision(void) {
  scopegate_decision* d = NULL;
  CHECK(scopegate_decision_new(&d) == SCOPEGATE_OK);
  return d;
}

static void test_decision_fields(scopegate_engine* engine) {
  const char* scopes[] = {"sessions:read", "no:such-scope"};
  scopegate_principal* key = make_key(engine, scopes, 2);
  scopegate_decision* d = make_decision();
  /* A decision never filled reads as no_route. */
  CHECK(!scopegate_decision_allowed(d) && scopegate_decision_status(d) == 404);

  CHECK(scopegate_decide(engine, key, "GET", "/api/v1/sessions/42?x=1", d) == SCOPEGATE_OK);
  CHECK(scopegate_decision_allowed(d) == 1);
  CHECK(scopegate_decision_status(d) == 200);
  CHECK(scopegate_decision_reason(d) == SCOPEGATE_REASON_ALLOWED);
  CHECK(equals(scopegate_decision_reason_code(d), "allowed"));
  CHECK(scopegate_decision_has_endpoint(d) == 1);
  CHECK(equals(scopegate_decision_endpoint_method(d), "GET"));
  CHECK(equals(scopegate_decision_endpoint_template(d), "/api/v1/sessions/{id}"));
  CHECK(equals(scopegate_decision_endpoint_description(d), "Get session details"));
  CHECK(scopegate_decision_param_count(d) == 1);
  CHECK(equals(scopegate_decision_param_name(d, 0), "id"));
  CHECK(equals(scopegate_decision_param_value(d, 0), "42"));
  CHECK(equals(scopegate_decision_param_value(d, 1), ""));
  CHECK(equals(scopegate_decision_param_name(d, 1), ""));
  CHECK(equals(scopegate_decision_granted_by(d), "sessions:read"));
  CHECK(equals(scopegate_decision_rule_file(d), "test.policy"));
  CHECK(scopegate_decision_rule_line(d) == 3 && scopegate_decision_rule_column(d) == 3);
  CHECK(scopegate_decision_required_scope_count(d) == 1);
  CHECK(equals(scopegate_decision_required_scope(d, 0), "sessions:read"));
  CHECK(equals(scopegate_decision_required_scope(d, 1), ""));

  CHECK(scopegate_decide(engine, key, "POST", "/api/v1/sessions/7/stop", d) == SCOPEGATE_OK);
  CHECK(!scopegate_decision_allowed(d) && scopegate_decision_status(d) == 403);
  CHECK(scopegate_decision_reason(d) == SCOPEGATE_REASON_MISSING_SCOPE);
  CHECK(equals(scopegate_decision_message(d),
               "API key does not have required scope: sessions:write"));
  CHECK(equals(scopegate_decision_granted_by(d), ""));
  CHECK(equals(scopegate_decision_param_value(d, 0), "7"));
  CHECK(scopegate_decision_rule_line(d) == 7);

  CHECK(scopegate_decide(engine, key, "DELETE", "/api/v1/sessions/7", d) == SCOPEGATE_OK);
  CHECK(scopegate_decision_reason(d) == SCOPEGATE_REASON_METHOD_NOT_ALLOWED);
  CHECK(equals(scopegate_decision_allowed_methods(d), "GET"));
  CHECK(!scopegate_decision_has_endpoint(d));
  CHECK(equals(scopegate_decision_endpoint_template(d), ""));
  CHECK(equals(scopegate_decision_endpoint_method(d), ""));
  CHECK(equals(scopegate_decision_endpoint_description(d), ""));
  CHECK(equals(scopegate_decision_rule_file(d), "") && scopegate_decision_rule_line(d) == 0);
  CHECK(scopegate_decision_rule_column(d) == 0);

  CHECK(scopegate_decide(engine, key, "GET", "/api/v1/../x", d) == SCOPEGATE_OK);
  CHECK(scopegate_decision_reason(d) == SCOPEGATE_REASON_INVALID_PATH);
  CHECK(scopegate_decision_status(d) == 400);
  CHECK(scopegate_decide(engine, key, "GET", "/nowhere", d) == SCOPEGATE_OK);
  CHECK(equals(scopegate_decision_reason_code(d), "no_route"));

  scopegate_principal* nobody = NULL;
  CHECK(scopegate_principal_anonymous(&nobody) == SCOPEGATE_OK);
  CHECK(scopegate_decide(engine, nobody, "GET", "/healthz", d) == SCOPEGATE_OK);
  CHECK(scopegate_decision_allowed(d));
  CHECK(scopegate_decide(engine, nobody, "GET", "/api/v1/sessions/1", d) == SCOPEGATE_OK);
  CHECK(scopegate_decision_reason(d) == SCOPEGATE_REASON_UNAUTHENTICATED);
  scopegate_principal_free(nobody);

  scopegate_principal* member = NULL;
  CHECK(scopegate_principal_for_role(engine, "member", &member) == SCOPEGATE_OK);
  CHECK(scopegate_decide(engine, member, "GET", "/api/v1/sessions/1", d) == SCOPEGATE_OK);
  CHECK(scopegate_decision_allowed(d));
  CHECK(scopegate_decide(engine, member, "POST", "/api/v1/sessions/1/stop", d) == SCOPEGATE_OK);
  CHECK(equals(scopegate_decision_message(d), "User does not have required scope: sessions:write"));
  scopegate_principal_free(member);

  /* implies: sessions:admin holds sessions:write. */
  const char* admin_scopes[] = {"sessions:admin"};
  scopegate_principal* admin = NULL;
  CHECK(scopegate_principal_for_key(engine, admin_scopes, 1, &admin) == SCOPEGATE_OK);
  CHECK(scopegate_decide(engine, admin, "POST", "/api/v1/sessions/1/stop", d) == SCOPEGATE_OK);
  CHECK(scopegate_decision_allowed(d));
  scopegate_principal_free(admin);

  scopegate_decision_free(d);
  scopegate_principal_free(key);
}

static void test_requests(scopegate_engine* engine) {
  const char* scopes[] = {"audit:read", "sessions:read"};
  scopegate_principal* key = make_key(engine, scopes, 2);
  scopegate_decision* d = make_decision();

  const scopegate_header acme[] = {{"X-Tenant", "acme"}};
  scopegate_request request = {"GET", "/api/v1/audit-logs", NULL, acme, 1, 1, 1790000000};
  CHECK(scopegate_decide_request(engine, key, &request, d) == SCOPEGATE_OK);
  CHECK(scopegate_decision_allowed(d));
  request.has_time = 0; /* a missing time makes its comparison false */
  CHECK(scopegate_decide_request(engine, key, &request, d) == SCOPEGATE_OK);
  CHECK(scopegate_decision_reason(d) == SCOPEGATE_REASON_CONDITION_FAILED);
  request.has_time = 1;
  request.header_count = 0;
  CHECK(scopegate_decide_request(engine, key, &request, d) == SCOPEGATE_OK);
  CHECK(scopegate_decision_reason(d) == SCOPEGATE_REASON_CONDITION_FAILED);

  /* allowed_cidrs and request.ip: the forbid rule. */
  const char* cidrs[] = {"10.0.0.0/8", "2001:db8::/32"};
  CHECK(scopegate_principal_set_allowed_cidrs(key, cidrs, 2) == SCOPEGATE_OK);
  request.header_count = 1;
  request.ip = "192.0.2.1";
  CHECK(scopegate_decide_request(engine, key, &request, d) == SCOPEGATE_OK);
  CHECK(scopegate_decision_reason(d) == SCOPEGATE_REASON_FORBIDDEN);
  CHECK(equals(scopegate_decision_message(d), "API key is not allowed from this address"));
  request.ip = "10.1.2.3";
  CHECK(scopegate_decide_request(engine, key, &request, d) == SCOPEGATE_OK);
  CHECK(scopegate_decision_allowed(d));

  /* Errors leave the decision as it was. */
  request.ip = "10.1.2";
  CHECK(scopegate_decide_request(engine, key, &request, d) == SCOPEGATE_ERROR_INVALID_ARGUMENT);
  CHECK(scopegate_decision_allowed(d));
  request.ip = NULL;
  request.headers = NULL;
  CHECK(scopegate_decide_request(engine, key, &request, d) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  const scopegate_header null_value[] = {{"X-Tenant", NULL}};
  request.headers = null_value;
  CHECK(scopegate_decide_request(engine, key, &request, d) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  request.headers = acme;
  request.target = NULL;
  CHECK(scopegate_decide_request(engine, key, &request, d) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  request.target = "/api/v1/audit-logs";
  request.method = NULL;
  CHECK(scopegate_decide_request(engine, key, &request, d) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  request.method = "GET";
  CHECK(scopegate_decide_request(NULL, key, &request, d) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_decide_request(engine, NULL, &request, d) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_decide_request(engine, key, NULL, d) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_decide_request(engine, key, &request, NULL) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_decision_allowed(d));

  /* A bad CIDR leaves the principal as it was; clearing the ranges lifts the forbid. */
  const char* bad[] = {"10.0.0.1/8"};
  CHECK(scopegate_principal_set_allowed_cidrs(key, bad, 1) == SCOPEGATE_ERROR_INVALID_ARGUMENT);
  request.ip = "192.0.2.1";
  CHECK(scopegate_decide_request(engine, key, &request, d) == SCOPEGATE_OK);
  CHECK(scopegate_decision_reason(d) == SCOPEGATE_REASON_FORBIDDEN);
  CHECK(scopegate_principal_set_allowed_cidrs(key, NULL, 0) == SCOPEGATE_OK);
  CHECK(scopegate_decide_request(engine, key, &request, d) == SCOPEGATE_OK);
  CHECK(scopegate_decision_allowed(d));
  CHECK(scopegate_principal_set_allowed_cidrs(key, NULL, 1) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  const char* null_cidr[] = {NULL};
  CHECK(scopegate_principal_set_allowed_cidrs(key, null_cidr, 1) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_principal_set_allowed_cidrs(NULL, cidrs, 1) == SCOPEGATE_ERROR_NULL_ARGUMENT);

  CHECK(scopegate_principal_set_identity(key, "user-42", "ops@example.com", NULL) == SCOPEGATE_OK);
  CHECK(scopegate_principal_set_identity(NULL, "a", "b", "c") == SCOPEGATE_ERROR_NULL_ARGUMENT);

  scopegate_decision_free(d);
  scopegate_principal_free(key);
}

static void test_principal_errors(scopegate_engine* engine) {
  scopegate_principal* p = NULL;
  const char* scopes[] = {"sessions:read", NULL};
  CHECK(scopegate_principal_for_key(engine, scopes, 2, &p) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_principal_for_key(engine, NULL, 1, &p) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_principal_for_key(NULL, scopes, 1, &p) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_principal_for_key(engine, scopes, 1, NULL) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_principal_for_role(NULL, "member", &p) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_principal_for_role(engine, NULL, &p) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_principal_for_role(engine, "member", NULL) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_principal_anonymous(NULL) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(p == NULL);
  scopegate_principal_free(NULL);

  /* A key with no scopes holds nothing; an unknown role neither. */
  CHECK(scopegate_principal_for_key(engine, NULL, 0, &p) == SCOPEGATE_OK);
  scopegate_decision* d = NULL;
  CHECK(scopegate_decision_new(&d) == SCOPEGATE_OK);
  CHECK(scopegate_decide(engine, p, "GET", "/api/v1/sessions/1", d) == SCOPEGATE_OK);
  CHECK(scopegate_decision_reason(d) == SCOPEGATE_REASON_MISSING_SCOPE);
  scopegate_principal_free(p);
  CHECK(scopegate_principal_for_role(engine, "nobody", &p) == SCOPEGATE_OK);
  CHECK(scopegate_decide(engine, p, "GET", "/api/v1/sessions/1", d) == SCOPEGATE_OK);
  CHECK(scopegate_decision_reason(d) == SCOPEGATE_REASON_MISSING_SCOPE);

  CHECK(scopegate_decide(NULL, p, "GET", "/", d) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_decide(engine, NULL, "GET", "/", d) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_decide(engine, p, NULL, "/", d) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_decide(engine, p, "GET", NULL, d) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_decide(engine, p, "GET", "/", NULL) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_decision_new(NULL) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  scopegate_principal_free(p);
  scopegate_decision_free(d);
  scopegate_decision_free(NULL);

  /* Every accessor reads a NULL decision as a default one. */
  CHECK(!scopegate_decision_allowed(NULL) && scopegate_decision_status(NULL) == 404);
  CHECK(scopegate_decision_reason(NULL) == SCOPEGATE_REASON_NO_ROUTE);
  CHECK(equals(scopegate_decision_reason_code(NULL), "no_route"));
  CHECK(!scopegate_decision_has_endpoint(NULL));
  CHECK(equals(scopegate_decision_endpoint_method(NULL), ""));
  CHECK(equals(scopegate_decision_endpoint_template(NULL), ""));
  CHECK(equals(scopegate_decision_endpoint_description(NULL), ""));
  CHECK(scopegate_decision_param_count(NULL) == 0);
  CHECK(equals(scopegate_decision_param_name(NULL, 0), ""));
  CHECK(equals(scopegate_decision_param_value(NULL, 0), ""));
  CHECK(scopegate_decision_required_scope_count(NULL) == 0);
  CHECK(equals(scopegate_decision_required_scope(NULL, 0), ""));
  CHECK(equals(scopegate_decision_granted_by(NULL), ""));
  CHECK(equals(scopegate_decision_allowed_methods(NULL), ""));
  CHECK(equals(scopegate_decision_rule_file(NULL), ""));
  CHECK(scopegate_decision_rule_line(NULL) == 0 && scopegate_decision_rule_column(NULL) == 0);
  CHECK(equals(scopegate_decision_message(NULL), ""));
}

/* replace: a principal built before is rebound by name; a decision made before keeps its
 * policy (its strings stay valid). */
static void test_replace(scopegate_engine* engine) {
  const char* scopes[] = {"sessions:write"};
  scopegate_principal* key = NULL;
  CHECK(scopegate_principal_for_key(engine, scopes, 1, &key) == SCOPEGATE_OK);
  scopegate_decision* before = NULL;
  scopegate_decision* after = NULL;
  CHECK(scopegate_decision_new(&before) == SCOPEGATE_OK);
  CHECK(scopegate_decision_new(&after) == SCOPEGATE_OK);
  CHECK(scopegate_decide(engine, key, "GET", "/api/v1/sessions/1", before) == SCOPEGATE_OK);
  CHECK(!scopegate_decision_allowed(before));

  scopegate_policy* next = NULL;
  CHECK(scopegate_compile_text("next.policy",
                               "scope other:x { summary \"x\" GET /x }\n"
                               "scope sessions:write {\n  summary \"Read and stop.\"\n"
                               "  GET /api/v1/sessions/{id}  \"Read one\"\n}\n",
                               &next, NULL) == SCOPEGATE_OK);
  CHECK(scopegate_engine_replace(NULL, next) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_engine_replace(engine, NULL) == SCOPEGATE_ERROR_NULL_ARGUMENT);
  CHECK(scopegate_engine_replace(engine, next) == SCOPEGATE_OK);
  scopegate_policy_free(next);

  CHECK(scopegate_decide(engine, key, "GET", "/api/v1/sessions/1", after) == SCOPEGATE_OK);
  CHECK(scopegate_decision_allowed(after));
  CHECK(equals(scopegate_decision_rule_file(after), "next.policy"));
  CHECK(equals(scopegate_decision_required_scope(before, 0), "sessions:read"));
  CHECK(equals(scopegate_decision_rule_file(before), "test.policy"));
  /* The decision that decided before the replace decides with the new policy. */
  CHECK(scopegate_decide(engine, key, "GET", "/api/v1/sessions/2", before) == SCOPEGATE_OK);
  CHECK(scopegate_decision_allowed(before));
  CHECK(equals(scopegate_decision_rule_file(before), "next.policy"));

  /* One decision, two engines: each decides with its own policy. */
  scopegate_engine* other = make_engine();
  CHECK(scopegate_decide(other, key, "GET", "/api/v1/sessions/2", before) == SCOPEGATE_OK);
  CHECK(!scopegate_decision_allowed(before));
  scopegate_engine_free(other); /* the decision keeps its policy */
  CHECK(equals(scopegate_decision_rule_file(before), "test.policy"));
  CHECK(equals(scopegate_decision_required_scope(before, 0), "sessions:read"));
  CHECK(scopegate_decide(engine, key, "GET", "/api/v1/sessions/2", before) == SCOPEGATE_OK);
  CHECK(scopegate_decision_allowed(before));
  CHECK(equals(scopegate_decision_rule_file(before), "next.policy"));
  scopegate_decision_free(before);
  scopegate_decision_free(after);
  scopegate_principal_free(key);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: c_api_test POLICIES_DIR\n");
    return 2;
  }
  test_statuses();
  test_compile_errors(argv[1]);
  scopegate_engine* engine = make_engine();
  test_decision_fields(engine);
  test_requests(engine);
  test_principal_errors(engine);
  test_replace(engine);
  scopegate_engine_free(engine);
  scopegate_engine_free(NULL);
  if (failures != 0) {
    fprintf(stderr, "c_api_test: %d checks failed\n", failures);
    return 1;
  }
  printf("c_api_test: every check passed\n");
  return 0;
}
