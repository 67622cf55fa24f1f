#include "server/handler_table.hpp"

#include "server/handlers/handlers.hpp"

namespace scopegate::server {

HandlerTable make_handler_table() {
  HandlerTable table;
  add_auth_handlers(table);
  add_api_key_handlers(table);
  add_session_handlers(table);
  add_resource_handlers(table);
  add_credential_handlers(table);
  add_static_ip_rule_handlers(table);
  add_audit_handlers(table);
  add_user_handlers(table);
  add_role_handlers(table);
  add_admin_session_handlers(table);
  add_mfa_handlers(table);
  add_misc_handlers(table);
  add_token_handlers(table);
  add_register_handlers(table);
  add_password_handlers(table);
  add_organization_handlers(table);
  return table;
}

}  // namespace scopegate::server
