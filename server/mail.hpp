// Mail without a mail server: what the server would mail (a password reset link, an
// invitation's set-password link) becomes a row of the outbox table (mail_outbox, with
// sent_at NULL) written in the transaction that creates its token, and one `info` log
// line holding the link, for the operator to deliver by hand. A sender plugs in at the
// table: it reads the rows whose sent_at is NULL, sends them, and sets sent_at
// (docs/server.md, "Mail"). The server never sends anything itself.
// Pure functions apart from log_queued_mail(); thread-safe.
#pragma once

#include <string>
#include <string_view>

#include <spdlog/logger.h>

#include "server/config.hpp"
#include "server/store/records.hpp"

namespace scopegate::server {

// A mail and the link it carries (the link holds a one-time token: never logged but by
// log_queued_mail()).
struct QueuedMail {
  OutboxMail row;
  std::string link;
};

// `<mail.link_base_url>/<page>?token=<token>`; without a base URL, the server's own
// address (http://HOST:PORT of server.listen).
std::string mail_link(const Config& config, std::string_view page, std::string_view token);

// The password reset mail for `user` (its link is valid for `valid_minutes`).
QueuedMail password_reset_mail(const Config& config, const Organization& organization,
                               const User& user, std::string_view token, long valid_minutes);
// The invitation of a new user by `inviter` (its set-password link is valid for
// `valid_days`).
QueuedMail invitation_mail(const Config& config, const Organization& organization, const User& user,
                           std::string_view inviter, std::string_view token, long valid_days);

// The log line that tells the operator a mail is waiting, with its link.
void log_queued_mail(spdlog::logger& logger, const QueuedMail& mail);

}  // namespace scopegate::server
