/* scopegate's C interface (C11): compile a policy, hold it in an engine that swaps it
 * atomically, build principals and decide requests. libscopegate.so exports these
 * functions and nothing else; the C++ types stay inside.
 *
 * Handles are opaque. Every function that makes one (`scopegate_*_new`, the compile
 * functions, `scopegate_principal_for_*` and `_anonymous`) hands its caller that handle,
 * freed by the matching `scopegate_*_free` (NULL is accepted and ignored). Handles are
 * independent: any may be freed before the others (a decision keeps alive the policy
 * it decided with; an engine frees its own when the last decision lets go of it).
 * Strings given to the library are NUL-terminated UTF-8 and borrowed for the call only.
 * Strings it returns are `scopegate_string` views (not NUL-terminated in general: use
 * `size`) into the handle they were read from, valid until that handle is freed or, for
 * a decision, filled again; copy what you keep longer.
 *
 * Functions that can fail return a `scopegate_status`; a NULL handle or out-pointer is
 * SCOPEGATE_ERROR_NULL_ARGUMENT and nothing is written. Accessors that read a field
 * return a zero value for a NULL handle or an index out of range: false, 0, an empty
 * string. No function throws, aborts or calls exit.
 *
 * Threads: an engine may be used from any number of threads at once (decide, replace,
 * principal_for_*). Every other handle is used by one thread at a time, except that
 * a principal, a policy and diagnostics may be read (passed as `const`) from many threads
 * while nobody changes them. A decision is filled by one scopegate_decide call at a time:
 * give each thread its own and reuse it, which makes scopegate_decide allocate nothing once
 * the decision's buffer has held the longest target (scopegate_decide_request allocates
 * the list of its headers on each call).
 *
 * Strings given are NUL-terminated: a string is read up to its first NUL, so text that
 * may hold one (a path from the network) must be refused or percent-encoded first. */
#ifndef SCOPEGATE_H
#define SCOPEGATE_H

#include <stddef.h>
#include <stdint.h>

#if defined(SCOPEGATE_C_BUILD)
#define SCOPEGATE_API __attribute__((visibility("default")))
#else
#define SCOPEGATE_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum scopegate_status {
  SCOPEGATE_OK = 0,
  SCOPEGATE_ERROR_NULL_ARGUMENT = 1,    /* a required handle, pointer or string was NULL */
  SCOPEGATE_ERROR_INVALID_ARGUMENT = 2, /* an IP address or CIDR range that does not parse */
  SCOPEGATE_ERROR_COMPILE = 3,          /* the policy has errors: see the diagnostics */
  SCOPEGATE_ERROR_POLICY_USED = 4,      /* the policy was already given to an engine */
  SCOPEGATE_ERROR_OUT_OF_MEMORY = 5,
  SCOPEGATE_ERROR_INTERNAL = 6 /* an unexpected C++ exception; nothing was changed */
} scopegate_status;

/* "ok", "null argument", ...; never NULL. */
SCOPEGATE_API const char* scopegate_status_string(scopegate_status status);
/* "0.1.0": the library's version. */
SCOPEGATE_API const char* scopegate_version(void);
/* The version of this header, which a program was compiled against: compare it with
 * scopegate_version() to tell that it loaded another release than it was built for.
 * (bindings/c/CMakeLists.txt refuses to configure when these drift from the project's.) */
#define SCOPEGATE_VERSION_MAJOR 0
#define SCOPEGATE_VERSION_MINOR 1
#define SCOPEGATE_VERSION_PATCH 0

typedef struct scopegate_string {
  const char* data; /* never NULL, possibly not NUL-terminated */
  size_t size;
} scopegate_string;

typedef struct scopegate_policy scopegate_policy;
typedef struct scopegate_diagnostics scopegate_diagnostics;
typedef struct scopegate_engine scopegate_engine;
typedef struct scopegate_principal scopegate_principal;
typedef struct scopegate_decision scopegate_decision;

/* ---- Compiling ------------------------------------------------------------------ */

/* Compiles every given file, and every `*.policy` file in every given directory, as one
 * policy. On success *policy is set; on SCOPEGATE_ERROR_COMPILE it is set to NULL. When
 * `diagnostics` is not NULL it receives the errors and the warnings (also on success,
 * then warnings only, possibly none); free it with scopegate_diagnostics_free. */
SCOPEGATE_API scopegate_status scopegate_compile_files(const char* const* paths, size_t count,
                                                       scopegate_policy** policy,
                                                       scopegate_diagnostics** diagnostics);
/* The same for one in-memory text; `file_name` is what diagnostics print. */
SCOPEGATE_API scopegate_status scopegate_compile_text(const char* file_name, const char* text,
                                                      scopegate_policy** policy,
                                                      scopegate_diagnostics** diagnostics);
SCOPEGATE_API void scopegate_policy_free(scopegate_policy* policy);

typedef enum scopegate_severity {
  SCOPEGATE_SEVERITY_ERROR = 0,
  SCOPEGATE_SEVERITY_WARNING = 1,
  SCOPEGATE_SEVERITY_NOTE = 2
} scopegate_severity;

/* One diagnostic; its strings are NUL-terminated and live as long as the diagnostics. */
typedef struct scopegate_diagnostic {
  const char* file; /* "" for a diagnostic about no file */
  uint32_t line;    /* 1-based; 0 when there is no file */
  uint32_t column;  /* 1-based, in bytes */
  scopegate_severity severity;
  const char* code;    /* e.g. "unknown-scope" (docs/diagnostics.md) */
  const char* message; /* e.g. "unknown scope `sesions:read` in role `member`" */
  const char* help;    /* a fix, or "" */
} scopegate_diagnostic;

SCOPEGATE_API size_t scopegate_diagnostics_count(const scopegate_diagnostics* diagnostics);
SCOPEGATE_API size_t scopegate_diagnostics_error_count(const scopegate_diagnostics* diagnostics);
/* Fills *out with diagnostic `index` (sorted by file and position); an index out of
 * range is SCOPEGATE_ERROR_INVALID_ARGUMENT. */
SCOPEGATE_API scopegate_status scopegate_diagnostics_get(const scopegate_diagnostics* diagnostics,
                                                         size_t index, scopegate_diagnostic* out);
/* Every diagnostic rendered as `scopegate check` prints it (file:line:col, the line, a
 * caret, help), NUL-terminated; "" when there is none. */
SCOPEGATE_API const char* scopegate_diagnostics_text(const scopegate_diagnostics* diagnostics);
SCOPEGATE_API void scopegate_diagnostics_free(scopegate_diagnostics* diagnostics);

/* ---- The engine ------------------------------------------------------------------ */

/* Makes an engine deciding with `policy`, which it takes: the policy handle stays valid
 * (free it as usual) but is used up, and giving it again is SCOPEGATE_ERROR_POLICY_USED.
 * (On SCOPEGATE_ERROR_OUT_OF_MEMORY the policy may be used up too.) */
SCOPEGATE_API scopegate_status scopegate_engine_new(scopegate_policy* policy,
                                                    scopegate_engine** engine);
/* Makes `policy` (taken as above) the one in force for every decision that starts after
 * this returns; decisions in flight finish on the policy they started with. */
SCOPEGATE_API scopegate_status scopegate_engine_replace(scopegate_engine* engine,
                                                        scopegate_policy* policy);
SCOPEGATE_API void scopegate_engine_free(scopegate_engine* engine);

/* ---- Principals ------------------------------------------------------------------ */

/* An API key holding `scopes` (closed under `implies`) in the engine's current policy.
 * Names that policy does not know grant nothing (fail closed). A principal built before
 * scopegate_engine_replace is rebound by name when it is next decided. */
SCOPEGATE_API scopegate_status scopegate_principal_for_key(const scopegate_engine* engine,
                                                           const char* const* scopes, size_t count,
                                                           scopegate_principal** principal);
/* A signed-in user with `role`; an unknown role holds nothing. */
SCOPEGATE_API scopegate_status scopegate_principal_for_role(const scopegate_engine* engine,
                                                            const char* role,
                                                            scopegate_principal** principal);
/* Nobody: allowed on `public` endpoints only. */
SCOPEGATE_API scopegate_status scopegate_principal_anonymous(scopegate_principal** principal);
/* Attributes that conditions read (principal.id, .name, .org); NULL or "" means missing. */
SCOPEGATE_API scopegate_status scopegate_principal_set_identity(scopegate_principal* principal,
                                                                const char* id, const char* name,
                                                                const char* org);
/* principal.allowed_cidrs, e.g. {"10.0.0.0/8", "2001:db8::/32"}; a range that does not
 * parse is SCOPEGATE_ERROR_INVALID_ARGUMENT and leaves the principal unchanged. */
SCOPEGATE_API scopegate_status scopegate_principal_set_allowed_cidrs(scopegate_principal* principal,
                                                                     const char* const* cidrs,
                                                                     size_t count);
SCOPEGATE_API void scopegate_principal_free(scopegate_principal* principal);

/* ---- Deciding -------------------------------------------------------------------- */

typedef struct scopegate_header {
  const char* name; /* compared case-insensitively */
  const char* value;
} scopegate_header;

/* What a decision may look at besides the principal. Only method and target are needed
 * for policies without conditions. */
typedef struct scopegate_request {
  const char* method;              /* "GET" */
  const char* target;              /* "/api/v1/sessions/42", optionally with "?query" */
  const char* ip;                  /* "10.1.2.3" or "2001:db8::1"; NULL: none */
  const scopegate_header* headers; /* may be NULL when header_count is 0 */
  size_t header_count;
  int has_time; /* non-zero: `time` is request.time */
  int64_t time; /* seconds since 1970-01-01T00:00:00Z */
} scopegate_request;

/* A decision to fill; reuse it for many requests (one thread at a time). */
SCOPEGATE_API scopegate_status scopegate_decision_new(scopegate_decision** decision);
SCOPEGATE_API void scopegate_decision_free(scopegate_decision* decision);

/* Decides `method target` for `principal` against the engine's current policy and writes
 * the answer into `decision` (which keeps that policy and a copy of the target). */
SCOPEGATE_API scopegate_status scopegate_decide(const scopegate_engine* engine,
                                                const scopegate_principal* principal,
                                                const char* method, const char* target,
                                                scopegate_decision* decision);
/* The same with an IP address, headers and a time; an IP that does not parse is
 * SCOPEGATE_ERROR_INVALID_ARGUMENT and leaves `decision` unchanged. */
SCOPEGATE_API scopegate_status scopegate_decide_request(const scopegate_engine* engine,
                                                        const scopegate_principal* principal,
                                                        const scopegate_request* request,
                                                        scopegate_decision* decision);

/* Stable reason codes, as docs/language.md lists them. */
typedef enum scopegate_reason {
  SCOPEGATE_REASON_ALLOWED = 0,
  SCOPEGATE_REASON_INVALID_PATH = 1,
  SCOPEGATE_REASON_UNAUTHENTICATED = 2,
  SCOPEGATE_REASON_API_KEY_NOT_SUPPORTED = 3,
  SCOPEGATE_REASON_MISSING_SCOPE = 4,
  SCOPEGATE_REASON_CONDITION_FAILED = 5,
  SCOPEGATE_REASON_FORBIDDEN = 6,
  SCOPEGATE_REASON_NO_ROUTE = 7,
  SCOPEGATE_REASON_METHOD_NOT_ALLOWED = 8
} scopegate_reason;

/* A decision never filled, and a NULL one, read as not allowed, SCOPEGATE_REASON_NO_ROUTE. */
SCOPEGATE_API int scopegate_decision_allowed(const scopegate_decision* decision);
/* 200, 400, 401, 403, 404 or 405. */
SCOPEGATE_API int scopegate_decision_status(const scopegate_decision* decision);
SCOPEGATE_API scopegate_reason scopegate_decision_reason(const scopegate_decision* decision);
/* "allowed", "missing_scope", ... */
SCOPEGATE_API scopegate_string scopegate_decision_reason_code(const scopegate_decision* decision);
/* e.g. "API key does not have required scope: sessions:write" */
SCOPEGATE_API scopegate_string scopegate_decision_message(const scopegate_decision* decision);
/* The matched endpoint; false (and empty strings) for invalid_path, no_route and
 * method_not_allowed. */
SCOPEGATE_API int scopegate_decision_has_endpoint(const scopegate_decision* decision);
SCOPEGATE_API scopegate_string
scopegate_decision_endpoint_method(const scopegate_decision* decision);
SCOPEGATE_API scopegate_string
scopegate_decision_endpoint_template(const scopegate_decision* decision);
SCOPEGATE_API scopegate_string
scopegate_decision_endpoint_description(const scopegate_decision* decision);
/* Bound path parameters, values still percent-encoded. */
SCOPEGATE_API size_t scopegate_decision_param_count(const scopegate_decision* decision);
SCOPEGATE_API scopegate_string scopegate_decision_param_name(const scopegate_decision* decision,
                                                             size_t index);
SCOPEGATE_API scopegate_string scopegate_decision_param_value(const scopegate_decision* decision,
                                                              size_t index);
/* The scopes that would grant the endpoint to this kind of principal. */
SCOPEGATE_API size_t scopegate_decision_required_scope_count(const scopegate_decision* decision);
SCOPEGATE_API scopegate_string scopegate_decision_required_scope(const scopegate_decision* decision,
                                                                 size_t index);
/* The scope that granted access (an allow by scope only), else empty. */
SCOPEGATE_API scopegate_string scopegate_decision_granted_by(const scopegate_decision* decision);
/* For method_not_allowed: the Allow header value, e.g. "GET, POST". */
SCOPEGATE_API scopegate_string
scopegate_decision_allowed_methods(const scopegate_decision* decision);
/* The rule that decided: the granting route line, or the endpoint's own line; line 0 and
 * an empty file when no endpoint matched. */
SCOPEGATE_API scopegate_string scopegate_decision_rule_file(const scopegate_decision* decision);
SCOPEGATE_API uint32_t scopegate_decision_rule_line(const scopegate_decision* decision);
SCOPEGATE_API uint32_t scopegate_decision_rule_column(const scopegate_decision* decision);

#ifdef __cplusplus
}
#endif

#endif /* SCOPEGATE_H */
