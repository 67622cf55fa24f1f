// What the end-to-end tests of the admin areas (users, roles, session administration)
// share: a Harness with a member signed in, resources written through the store, another
// organization with its own signed-in admin, and the PATCH and DELETE requests the Client
// has no shortcut for.
#pragma once

#include <string>
#include <vector>

#include "harness.hpp"
#include "server/crypto.hpp"
#include "test_rows.hpp"

namespace scopegate::server::testing {

using Headers = std::map<std::string, std::string>;

inline Reply patch(Harness& h, const std::string& path, const nlohmann::json& body,
                   const Headers& headers) {
  auto with_type = headers;
  with_type["Content-Type"] = "application/json";
  return h.client().send("PATCH", path, with_type, body.dump());
}

inline Reply del(Harness& h, const std::string& path, const Headers& headers) {
  return h.client().send("DELETE", path, headers);
}

inline Headers bearer_of(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

// A new organization "Small Co" on the FREE plan, registered through POST /auth/register:
// its admin's bearer headers.
inline Headers register_free_organization(Harness& h) {
  const auto registered =
      h.client().post("/api/v1/auth/register", {{"organizationName", "Small Co"},
                                                {"email", "founder@small.test"},
                                                {"name", "Founder"},
                                                {"password", "Str0ng-password"}});
  REQUIRE(registered.status == 201);
  REQUIRE(registered.json().at("user").at("subscriptionTier") == "FREE");
  return bearer_of(registered.json().at("accessToken").get<std::string>());
}

// Signs in; the reply as it comes.
inline Reply sign_in(Harness& h, const std::string& slug, const std::string& email,
                     const std::string& password) {
  return h.client().post("/api/v1/auth/login",
                         {{"organizationSlug", slug}, {"email", email}, {"password", password}});
}

// Signs in where a single password worker may still be busy with the request before (it
// marks itself free just after it answers): repeated until it is answered 200; the body.
inline nlohmann::json sign_in_when_worker_free(Harness& h, const std::string& slug,
                                               const std::string& email,
                                               const std::string& password) {
  nlohmann::json body;
  REQUIRE(eventually([&] {
    const auto reply = sign_in(h, slug, email, password);
    if (reply.status != 200) return false;
    body = reply.json();
    return true;
  }));
  return body;
}

// Creates a user where a single password worker may still be busy with the request before
// (POST /api/v1/users hashes on it): repeated while it is answered 503; the last reply.
inline Reply create_user_when_worker_free(Harness& h, const nlohmann::json& body,
                                          const Headers& admin) {
  Reply reply;
  REQUIRE(eventually([&] {
    reply = h.client().post("/api/v1/users", body, admin);
    return reply.status != 503;
  }));
  return reply;
}

inline Headers signed_in(Harness& h, const std::string& slug, const std::string& email,
                         const std::string& password) {
  const auto reply = sign_in(h, slug, email, password);
  REQUIRE(reply.status == 200);
  return bearer_of(reply.json().at("accessToken").get<std::string>());
}

// The "message" of an error answer.
inline std::string message_of(const Reply& reply) {
  return reply.json().at("message").get<std::string>();
}

// The keys of a JSON object, sorted.
inline std::vector<std::string> keys_of(const nlohmann::json& object) {
  std::vector<std::string> out;
  for (const auto& item : object.items()) out.push_back(item.key());
  std::sort(out.begin(), out.end());
  return out;
}

struct AdminFixture {
  Harness& h;
  Headers admin;
  Headers other_admin;  // the admin of organization "other"
  std::string other_organization_id;

  explicit AdminFixture(Harness& harness) : h(harness), admin(harness.bearer()) {
    auto store = h.open_store();
    const auto at = format_stored(now());
    const Organization other{generate_uuid(), "other", "Other Org", at};
    REQUIRE(store->create_organization(other));
    other_organization_id = other.id;
    User boss{generate_uuid(),
              other.id,
              "boss@other.test",
              "Boss",
              "admin",
              hash_password("boss-password", test_password_hash),
              true,
              at,
              std::nullopt};
    REQUIRE(store->create_user(boss, {}, nullptr));
    other_admin = signed_in(h, "other", "boss@other.test", "boss-password");
  }

  // A member of the default organization, created through the API; its id.
  std::string member(const std::string& email,
                     const nlohmann::json& extra = nlohmann::json::object()) {
    nlohmann::json body = {{"email", email}, {"name", "Member"}, {"password", "member-password"}};
    body.update(extra);
    const auto created = h.client().post("/api/v1/users", body, admin);
    REQUIRE(created.status == 201);
    return id_of(created);
  }

  Headers member_token(const std::string& email) {
    return signed_in(h, "default", email, "member-password");
  }

  // A resource of `organization_id` (the default organization when empty), written
  // through the store as the resource API would; its id.
  std::string resource(const std::string& name, std::string organization_id = "") {
    auto store = h.open_store();
    if (organization_id.empty()) {
      const auto found = store->find_organization_by_slug("default");
      REQUIRE(found);
      REQUIRE(found->has_value());
      organization_id = (*found)->id;
    }
    Resource r;
    r.id = generate_uuid();
    r.organization_id = organization_id;
    r.name = name;
    r.provider = "AWS";
    r.resource_type = "SECURITY_GROUP";
    r.resource_identifier = "sg-" + name;
    r.region = "eu-west-1";
    r.created_at = r.updated_at = format_stored(now());
    REQUIRE(store->create_resource(r, user_audit(organization_id, "RESOURCE_CREATE")));
    return r.id;
  }

  std::int64_t audited(const std::string& event) {
    const auto page = h.client().get("/api/v1/audit-logs?eventType=" + event, admin);
    REQUIRE(page.status == 200);
    return page.json().at("totalElements").get<std::int64_t>();
  }
};

}  // namespace scopegate::server::testing
