// The decision `scopegate explain` prints, as text for people and as the JSON object that
// `--format json` prints and `--batch` writes one per line. Pure functions; reentrant.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "explain_request.hpp"

namespace scopegate::cli {

// {allowed, status, reason, message, method, path, principal, time, endpoint, description,
//  access, params, required_scopes, granted_by, rule, failed_condition, forbid,
//  allowed_methods, path_error}
nlohmann::ordered_json decision_json(const ExplainRequest& request, const Principal& principal,
                                     const Decision& decision);

// A verdict line (`ALLOW 200 allowed`), then one `label:  value` line per part.
std::string decision_text(const ExplainRequest& request, const Principal& principal,
                          const Decision& decision);

}  // namespace scopegate::cli
