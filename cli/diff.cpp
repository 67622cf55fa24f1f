// `scopegate diff [--format text|json] OLD NEW`: the semantic difference between two
// policies (each a file or a directory of *.policy files), from dsl/diff.hpp. Exit 0
// when both give everyone the same access (whatever their text), 1 when access
// differs, 2 on a usage error or a policy that does not compile (its diagnostics on
// stderr).
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

#include "commands.hpp"
#include "output.hpp"
#include "scopegate/dsl.hpp"
#include "scopegate/dsl/diff.hpp"

namespace scopegate::cli {

namespace {

using Json = nlohmann::ordered_json;

// `diff` has its own meaning for status 1: the policies grant different access.
constexpr Exit access_differs = static_cast<Exit>(1);

struct DiffOptions {
  std::string old_path;
  std::string new_path;
  Format format = Format::text;
};

Json endpoint_json(const EndpointRef& endpoint) {
  return Json{{"method", endpoint.method}, {"template", endpoint.path_template}};
}

Json conditions_json(const std::vector<std::string>& conditions) {
  // null: always (some grant has no condition); else the conditions, any of which grants.
  if (conditions.empty()) return nullptr;
  return conditions;
}

Json reach_json(const Reach& reach) {
  Json json = endpoint_json(reach.endpoint);
  json["when"] = conditions_json(reach.conditions);
  return json;
}

Json subjects_json(const std::vector<SubjectDiff>& subjects) {
  Json out = Json::array();
  for (const SubjectDiff& subject : subjects) {
    Json json{{"name", subject.name}};
    if (subject.kind != "role") json["kind"] = subject.kind;
    json["gained"] = Json::array();
    json["lost"] = Json::array();
    json["changed"] = Json::array();
    for (const Reach& reach : subject.gained) json["gained"].push_back(reach_json(reach));
    for (const Reach& reach : subject.lost) json["lost"].push_back(reach_json(reach));
    for (const ReachChange& change : subject.changed) {
      Json item = endpoint_json(change.endpoint);
      item["old_when"] = conditions_json(change.old_conditions);
      item["new_when"] = conditions_json(change.new_conditions);
      json["changed"].push_back(std::move(item));
    }
    out.push_back(std::move(json));
  }
  return out;
}

Json forbid_json(const ForbidRef& rule) {
  return Json{{"method", rule.method},
              {"template", rule.path_template},
              {"when", rule.condition.empty() ? Json(nullptr) : Json(rule.condition)},
              {"message", rule.message}};
}

Json to_json(const PolicyDiff& diff) {
  Json endpoints{{"added", Json::array()}, {"removed", Json::array()}, {"changed", Json::array()}};
  for (const auto& e : diff.endpoints_added) {
    Json json = endpoint_json(e.endpoint);
    json["access"] = to_string(e.access);
    endpoints["added"].push_back(std::move(json));
  }
  for (const auto& e : diff.endpoints_removed) {
    Json json = endpoint_json(e.endpoint);
    json["access"] = to_string(e.access);
    endpoints["removed"].push_back(std::move(json));
  }
  for (const auto& e : diff.endpoints_changed) {
    Json json = endpoint_json(e.endpoint);
    json["old_access"] = to_string(e.old_access);
    json["new_access"] = to_string(e.new_access);
    endpoints["changed"].push_back(std::move(json));
  }
  Json declarations{{"scopes_added", Json::array()},
                    {"scopes_removed", Json::array()},
                    {"scope_kinds_changed", Json::array()},
                    {"roles_added", diff.roles_added},
                    {"roles_removed", diff.roles_removed}};
  for (const auto& s : diff.scopes_added) {
    declarations["scopes_added"].push_back(Json{{"name", s.name}, {"kind", kind_name(s.kind)}});
  }
  for (const auto& s : diff.scopes_removed) {
    declarations["scopes_removed"].push_back(Json{{"name", s.name}, {"kind", kind_name(s.kind)}});
  }
  for (const auto& s : diff.scope_kinds_changed) {
    declarations["scope_kinds_changed"].push_back(Json{{"name", s.name},
                                                       {"old_kind", kind_name(s.old_kind)},
                                                       {"new_kind", kind_name(s.new_kind)}});
  }
  Json conditions = Json::array();
  for (const ConditionChange& c : diff.conditions) {
    Json json = endpoint_json(c.endpoint);
    json["scope"] = c.scope;
    json["old_when"] = conditions_json(c.old_conditions);
    json["new_when"] = conditions_json(c.new_conditions);
    conditions.push_back(std::move(json));
  }
  Json forbids{
      {"added", Json::array()}, {"removed", Json::array()}, {"message_changed", Json::array()}};
  for (const ForbidRef& rule : diff.forbids_added) forbids["added"].push_back(forbid_json(rule));
  for (const ForbidRef& rule : diff.forbids_removed)
    forbids["removed"].push_back(forbid_json(rule));
  for (const ForbidMessageChange& change : diff.forbid_messages_changed) {
    Json json = forbid_json(change.rule);
    json["old_message"] = change.old_message;
    forbids["message_changed"].push_back(std::move(json));
  }
  return Json{{"identical", diff.identical()},
              {"endpoints", std::move(endpoints)},
              {"declarations", std::move(declarations)},
              {"scopes", subjects_json(diff.scopes)},
              {"roles", subjects_json(diff.roles)},
              {"conditions", std::move(conditions)},
              {"forbids", std::move(forbids)}};
}

Exit run_diff(const DiffOptions& options) {
  auto old_policy = compile_files({options.old_path});
  auto new_policy = compile_files({options.new_path});
  if (!old_policy || !new_policy) {
    if (!old_policy) std::cerr << old_policy.error();
    if (!new_policy) std::cerr << new_policy.error();
    return Exit::usage;
  }
  const PolicyDiff diff = diff_policies(*old_policy, *new_policy);
  if (options.format == Format::json) {
    print_json(std::cout, to_json(diff));
  } else {
    std::cout << render_diff(diff);
  }
  return diff.identical() ? Exit::ok : access_differs;
}

}  // namespace

void add_diff_command(CLI::App& app, Outcome& outcome) {
  auto options = std::make_shared<DiffOptions>();
  CLI::App* command = app.add_subcommand(
      "diff", "show what access changes between two policies (exit 1 when it differs)");
  command->add_option("OLD", options->old_path, "the old policy: a file or a directory")
      ->required();
  command->add_option("NEW", options->new_path, "the new policy: a file or a directory")
      ->required();
  add_format_option(*command, options->format);
  command->callback([options, &outcome] { outcome.exit = run_diff(*options); });
}

}  // namespace scopegate::cli
