// The account pieces without a server: the registration limiter driven by explicit times,
// the password policy, the slug rule, the register and settings bodies, the plans, mail
// links and the [accounts] / [mail] settings.
#include <catch2/catch.hpp>

#include <chrono>

#include "server/attempt_limiter.hpp"
#include "server/config.hpp"
#include "server/handlers/accounts.hpp"
#include "server/mail.hpp"
#include "server/password_policy.hpp"
#include "server/plans.hpp"

using namespace scopegate::server;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

const AttemptLimiter::Clock::time_point limiter_start =
    AttemptLimiter::Clock::time_point{} + std::chrono::hours(100);

std::vector<std::string> settings_of(const std::vector<BrokenPasswordRule>& broken) {
  std::vector<std::string> out;
  for (const auto& rule : broken) out.push_back(rule.setting);
  return out;
}

}  // namespace

TEST_CASE("attempt limiter: five attempts per key per window, then refused until it ends") {
  AttemptLimiter limiter(5, hours(1));
  for (int i = 0; i < 5; ++i)
    CHECK(limiter.attempt("192.0.2.1", limiter_start + minutes(i)).allowed);
  const auto refused = limiter.attempt("192.0.2.1", limiter_start + minutes(10));
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after_seconds == 50 * 60);
  // Another address is counted on its own.
  CHECK(limiter.attempt("192.0.2.2", limiter_start + minutes(10)).allowed);
  // Refused attempts do not extend the window.
  CHECK_FALSE(limiter.attempt("192.0.2.1", limiter_start + minutes(59) + seconds(59)).allowed);
  CHECK(
      limiter.attempt("192.0.2.1", limiter_start + minutes(59) + seconds(59)).retry_after_seconds ==
      1);
  CHECK(limiter.attempt("192.0.2.1", limiter_start + hours(1)).allowed);
}

TEST_CASE("attempt limiter: a full table of open windows lets new keys through untracked") {
  AttemptLimiter limiter(1, hours(1), 2);
  CHECK(limiter.attempt("a", limiter_start).allowed);
  CHECK(limiter.attempt("b", limiter_start).allowed);
  CHECK(limiter.attempt("c", limiter_start).allowed);
  CHECK(limiter.attempt("c", limiter_start).allowed);  // not tracked
  CHECK_FALSE(limiter.attempt("a", limiter_start).allowed);
  // Once the old windows end, new keys are tracked again.
  CHECK(limiter.attempt("c", limiter_start + hours(2)).allowed);
  CHECK_FALSE(limiter.attempt("c", limiter_start + hours(2)).allowed);
}

TEST_CASE("password policy: the defaults ask for 8 characters, upper, lower and a digit") {
  const Organization defaults;
  CHECK(broken_password_rules("Abcdefg1", defaults).empty());
  CHECK(settings_of(broken_password_rules("abc", defaults)) ==
        std::vector<std::string>{"passwordMinLength", "passwordRequireUppercase",
                                 "passwordRequireDigit"});
  CHECK(broken_password_rules("abc", defaults)[0].requirement == "at least 8 characters");
  CHECK(settings_of(broken_password_rules("ABCDEFG1", defaults)) ==
        std::vector<std::string>{"passwordRequireLowercase"});
  Organization strict;
  strict.password_min_length = 12;
  strict.password_require_special = true;
  CHECK(settings_of(broken_password_rules("Abcdefgh1234", strict)) ==
        std::vector<std::string>{"passwordRequireSpecialChar"});
  CHECK(broken_password_rules("Abcdefgh123!", strict).empty());
  // Characters, not bytes: 4 two-byte characters are 4; a non-ASCII one is "special".
  Organization relaxed;
  relaxed.password_require_uppercase = false;
  relaxed.password_require_lowercase = false;
  relaxed.password_require_digit = false;
  CHECK(settings_of(broken_password_rules("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", relaxed)) ==
        std::vector<std::string>{"passwordMinLength"});
  CHECK(broken_password_rules("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9",
                              relaxed)
            .empty());
  relaxed.password_require_special = true;
  CHECK(broken_password_rules("aaaaaaa\xC3\xA9", relaxed).empty());
  CHECK_FALSE(broken_password_rules("aaaaaaaa", relaxed).empty());
}

TEST_CASE("organization slugs: lower case, runs of other characters one dash") {
  CHECK(organization_slug("Acme Inc") == "acme-inc");
  CHECK(organization_slug("  Globex -- Corp. 2 ") == "globex-corp-2");
  CHECK(organization_slug("ACME") == "acme");
  CHECK(organization_slug("Caf\xC3\xA9 M\xC3\xBCller") == "caf-m-ller");
  CHECK(organization_slug("!!!").empty());
  CHECK(organization_slug("").empty());
}

TEST_CASE("register bodies: name, email and an 8 to 128 character password") {
  const auto ok = parse_register_body(
      {{"organizationName", "Acme Inc"}, {"email", "a@acme.test"}, {"password", "12345678"}});
  REQUIRE(ok);
  CHECK(ok->slug == "acme-inc");
  CHECK_FALSE(ok->name);
  const auto bad = parse_register_body(
      {{"organizationName", 5}, {"email", "a@@b"}, {"password", std::string(129, 'x')}});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().size() == 3);
  CHECK(bad.error().at("password") == "must be at most 128 characters");
  CHECK_FALSE(parse_register_body(nlohmann::json::array()));
  CHECK(plausible_email("admin@localhost"));
  for (const auto* email : {"", "@x", "x@", "a b@c", "a@b@c", "plain"}) {
    INFO(email);
    CHECK_FALSE(plausible_email(email));
  }
}

TEST_CASE("settings bodies change only the fields given, within range") {
  Organization organization;
  organization.id = "org-1";
  organization.name = "Acme";
  organization.subscription_tier = "FREE";
  const auto changed = apply_settings_body(
      {{"mfaRequired", true}, {"passwordExpirationDays", 365}, {"id", "org-1"}}, organization);
  REQUIRE(changed);
  CHECK(changed->mfa_required);
  CHECK(changed->password_expiration_days == 365);
  CHECK(changed->name == "Acme");
  CHECK(changed->password_min_length == 8);
  const auto never = apply_settings_body({{"passwordExpirationDays", nullptr}}, *changed);
  REQUIRE(never);
  CHECK_FALSE(never->password_expiration_days);
  CHECK(apply_settings_body({{"passwordMinLength", 128}}, organization));
  for (const auto& body :
       {nlohmann::json{{"passwordMinLength", 129}}, nlohmann::json{{"passwordMinLength", 8.5}},
        nlohmann::json{{"passwordExpirationDays", 0}}, nlohmann::json{{"passwordRequireDigit", 1}},
        nlohmann::json{{"subscriptionTier", "FREE2"}}, nlohmann::json{{"id", "org-2"}},
        nlohmann::json{{"name", nullptr}}}) {
    INFO(body.dump());
    CHECK_FALSE(apply_settings_body(body, organization));
  }
  CHECK(apply_settings_body({{"subscriptionTier", "FREE"}}, organization));
}

TEST_CASE("plans: the limits of each subscription tier") {
  CHECK(plan_limits("FREE").max_users == 3);
  CHECK(plan_limits("FREE").max_resources == 5);
  CHECK(plan_limits("BUSINESS").max_users == 50);
  CHECK(plan_limits("BUSINESS").max_resources == 100);
  CHECK(plan_limits("ENTERPRISE").max_users == 500);
  CHECK(plan_limits("ENTERPRISE").max_resources == 1000);
  CHECK_FALSE(plan_limits("PLATFORM").max_users);
  CHECK_FALSE(plan_limits("PLATFORM").max_resources);
  CHECK(is_plan("PLATFORM"));
  CHECK_FALSE(is_plan("PAID"));
}

TEST_CASE("mail: links start with mail.link_base_url, or the server's own address") {
  Config config;
  CHECK(mail_link(config, "reset-password", "abc") ==
        "http://127.0.0.1:8080/reset-password?token=abc");
  config.listen_host = "::1";
  CHECK(mail_link(config, "x", "t") == "http://[::1]:8080/x?token=t");
  config.mail_link_base_url = "https://eg.example/app";
  CHECK(mail_link(config, "x", "t") == "https://eg.example/app/x?token=t");
  Organization organization;
  organization.id = "o";
  organization.name = "Acme";
  organization.slug = "acme";
  User user;
  user.email = "bob@acme.test";
  user.name = "Bob";
  const auto invitation = invitation_mail(config, organization, user, "a@acme.test", "tok", 7);
  CHECK(invitation.link == "https://eg.example/app/set-password?token=tok");
  CHECK(invitation.row.recipient == "bob@acme.test");
  CHECK(invitation.row.organization_id == "o");
  CHECK(invitation.row.subject == "You are invited to Acme");
  CHECK(invitation.row.body.find("within 7 days:\n\n" + invitation.link) != std::string::npos);
  CHECK_FALSE(invitation.row.sent_at);
  const auto reset = password_reset_mail(config, organization, user, "tok", 60);
  CHECK(reset.link == "https://eg.example/app/reset-password?token=tok");
  CHECK(reset.row.body.find("within 60 minutes:\n\n" + reset.link) != std::string::npos);
}

TEST_CASE("config: [accounts] and [mail] settings, and their errors") {
  const auto config = parse_config("t.toml", R"(
[accounts]
registration = false
registrations_per_hour = 20
registration_tier = "BUSINESS"
[mail]
link_base_url = "https://eg.example"
)");
  REQUIRE(config);
  CHECK_FALSE(config->registration_enabled);
  CHECK(config->registrations_per_hour == 20);
  CHECK(config->registration_tier == "BUSINESS");
  CHECK(config->mail_link_base_url == "https://eg.example");
  const auto defaults = parse_config("t.toml", "");
  REQUIRE(defaults);
  CHECK(defaults->registration_enabled);
  CHECK(defaults->registrations_per_hour == 5);
  CHECK(defaults->registration_tier == "FREE");
  CHECK(defaults->mail_link_base_url.empty());
  const auto bad = parse_config("t.toml", R"([accounts]
registration = "yes"
registration_tier = "PAID"
registrations_per_hour = 0
[mail]
link_base_url = "eg.example/"
)");
  REQUIRE_FALSE(bad);
  REQUIRE(bad.error().messages.size() == 4);
  CHECK(bad.error().messages[0] ==
        "t.toml:2:16: error: `accounts.registration` must be true or false");
  CHECK(bad.error().messages[1] ==
        "t.toml:3:21: error: `accounts.registration_tier` must be one of FREE, BUSINESS, "
        "ENTERPRISE, PLATFORM; got `PAID`");
  CHECK(bad.error().messages[2] ==
        "t.toml:4:26: error: `accounts.registrations_per_hour` must be an integer from 1 to "
        "1000000");
  CHECK(bad.error().messages[3] ==
        "t.toml:6:17: error: `mail.link_base_url` must be an http:// or https:// URL without a "
        "trailing slash, got `eg.example/`");
}
