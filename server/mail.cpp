#include "server/mail.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "server/clock.hpp"
#include "server/crypto.hpp"

namespace scopegate::server {

namespace {

QueuedMail queued(const Organization& organization, const User& user, std::string subject,
                  std::string body, std::string link) {
  QueuedMail mail;
  mail.row.id = generate_uuid();
  mail.row.organization_id = organization.id;
  mail.row.recipient = user.email;
  mail.row.subject = std::move(subject);
  mail.row.body = std::move(body);
  mail.row.created_at = format_stored(now());
  mail.link = std::move(link);
  return mail;
}

// User text in a log line: JSON-quoted (control characters escaped).
std::string log_text(std::string_view text) {
  return nlohmann::json(std::string(text))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string mail_link(const Config& config, std::string_view page, std::string_view token) {
  const std::string base =
      !config.mail_link_base_url.empty()
          ? config.mail_link_base_url
          : fmt::format(
                fmt::runtime(config.listen_host.find(':') != std::string::npos ? "http://[{}]:{}"
                                                                               : "http://{}:{}"),
                config.listen_host, config.listen_port);
  return fmt::format("{}/{}?token={}", base, page, token);
}

QueuedMail password_reset_mail(const Config& config, const Organization& organization,
                               const User& user, std::string_view token, long valid_minutes) {
  auto link = mail_link(config, "reset-password", token);
  auto body = fmt::format(
      "Hello {},\n\nsomeone asked to reset the password of your account in {} ({}).\n"
      "To choose a new password, open this link within {} minutes:\n\n{}\n\n"
      "If it was not you, ignore this mail: your password stays as it is.\n",
      user.name, organization.name, organization.slug, valid_minutes, link);
  return queued(organization, user, fmt::format("Reset your {} password", organization.name),
                std::move(body), std::move(link));
}

QueuedMail invitation_mail(const Config& config, const Organization& organization, const User& user,
                           std::string_view inviter, std::string_view token, long valid_days) {
  auto link = mail_link(config, "set-password", token);
  auto body = fmt::format(
      "Hello {},\n\n{} invited you to {} (organization `{}`).\n"
      "To choose your password and sign in, open this link within {} days:\n\n{}\n",
      user.name, inviter, organization.name, organization.slug, valid_days, link);
  return queued(organization, user, fmt::format("You are invited to {}", organization.name),
                std::move(body), std::move(link));
}

void log_queued_mail(spdlog::logger& logger, const QueuedMail& mail) {
  logger.info("mail queued in the outbox for {}: {}; link: {}", log_text(mail.row.recipient),
              log_text(mail.row.subject), mail.link);
  logger.flush();  // the operator is waiting for it
}

}  // namespace scopegate::server
