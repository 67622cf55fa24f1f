// The secrets key and sealing (server/secrets.hpp): what seals opens only with the same
// key and context, keys as operators write them, and where load_secrets() finds the key.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "server/crypto.hpp"
#include "server/secrets.hpp"
#include "test_support.hpp"

using namespace scopegate::server;
using scopegate::server::testing::read_file;
using scopegate::server::testing::TempDir;

namespace {

SecretsKey key_of(unsigned char byte) {
  SecretsKey key;
  key.fill(byte);
  return key;
}

// Sets SCOPEGATE_SECRETS_KEY for the scope (unset when `value` is empty).
class SecretsKeyVariable {
 public:
  explicit SecretsKeyVariable(const std::string& value) {
    if (value.empty()) {
      unsetenv(secrets_key_variable);
    } else {
      setenv(secrets_key_variable, value.c_str(), 1);
    }
  }
  ~SecretsKeyVariable() { unsetenv(secrets_key_variable); }
  SecretsKeyVariable(const SecretsKeyVariable&) = delete;
  SecretsKeyVariable& operator=(const SecretsKeyVariable&) = delete;
};

}  // namespace

TEST_CASE("a sealed secret opens with the same key and context only") {
  REQUIRE(init_crypto());
  const Secrets secrets(key_of(7));
  const auto sealed = secrets.seal("wJalrXUtnFEMI/K7MDENG", "credential:1");
  CHECK(sealed.rfind("xc20p1:", 0) == 0);
  CHECK(sealed.find("wJalrXUtnFEMI") == std::string::npos);
  CHECK(secrets.seal("wJalrXUtnFEMI/K7MDENG", "credential:1") != sealed);  // a new nonce
  CHECK(secrets.open(sealed, "credential:1") == "wJalrXUtnFEMI/K7MDENG");
  CHECK(secrets.open(sealed, "credential:2") == std::nullopt);
  CHECK(Secrets(key_of(8)).open(sealed, "credential:1") == std::nullopt);
  auto changed = sealed;
  changed[changed.size() / 2] = changed[changed.size() / 2] == 'A' ? 'B' : 'A';
  CHECK(secrets.open(changed, "credential:1") == std::nullopt);
  CHECK(secrets.open("plain text", "credential:1") == std::nullopt);
  CHECK(secrets.open("xc20p1:", "credential:1") == std::nullopt);
  CHECK(secrets.open(secrets.seal("", "c"), "c") == "");
}

TEST_CASE("a secrets key is 64 hex digits or the base64 of 32 bytes") {
  const auto expected = key_of(0xAB);
  CHECK(parse_secrets_key(std::string(64, 'a') + "\n") == key_of(0xAA));
  CHECK(parse_secrets_key("  " + std::string(32, 'a') + std::string(32, 'b')) != std::nullopt);
  // 32 bytes of 0xAB in base64, standard and URL-safe, padded or not.
  CHECK(parse_secrets_key("q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=") == expected);
  CHECK(parse_secrets_key("q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s") == expected);
  CHECK(parse_secrets_key("") == std::nullopt);
  CHECK(parse_secrets_key(std::string(62, 'a')) == std::nullopt);
  CHECK(parse_secrets_key(std::string(64, 'g')) == std::nullopt);
  CHECK(parse_secrets_key("q6urq6urq6urq6urq6urq6urq6urq6urq6urq6ur") == std::nullopt);  // 30 bytes
}

TEST_CASE("the key comes from the variable, else the key file, else a file beside SQLite") {
  REQUIRE(init_crypto());
  TempDir dir;
  Config config;
  config.database_path = dir.file("scopegate.db");
  {
    const SecretsKeyVariable variable(std::string(64, 'c'));
    config.secrets_key_file = dir.file("missing.key");  // the variable wins: never read
    const auto loaded = load_secrets(config);
    REQUIRE(loaded);
    CHECK(loaded->source == "SCOPEGATE_SECRETS_KEY");
    CHECK(loaded->secrets->open(Secrets(key_of(0xCC)).seal("x", "c"), "c") == "x");
  }
  {
    const SecretsKeyVariable variable("not a key");
    const auto refused = load_secrets(config);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().find("SCOPEGATE_SECRETS_KEY must be 32 bytes") != std::string::npos);
  }
  const SecretsKeyVariable unset("");
  config.secrets_key_file = dir.file("operator.key");
  std::ofstream(config.secrets_key_file) << std::string(64, 'd') << "\n";
  ::chmod(config.secrets_key_file.c_str(), 0644);
  auto from_file = load_secrets(config);
  REQUIRE(from_file);
  CHECK(from_file->source == config.secrets_key_file);
  REQUIRE(from_file->warning);
  CHECK(from_file->warning->find("chmod 600") != std::string::npos);
  CHECK_FALSE(from_file->notice);

  std::ofstream(config.secrets_key_file, std::ios::trunc) << "short\n";
  const auto bad_file = load_secrets(config);
  REQUIRE_FALSE(bad_file);
  CHECK(bad_file.error() == config.secrets_key_file +
                                ": error: the secrets key file must hold 32 bytes as 64 hex "
                                "digits or base64");

  config.secrets_key_file.clear();
  const auto created = load_secrets(config);
  REQUIRE(created);
  const auto path = dir.file("scopegate.db.secrets-key");
  CHECK(created->source == path);
  REQUIRE(created->notice);
  CHECK(created->notice->find(path) != std::string::npos);
  struct stat status {};
  REQUIRE(::stat(path.c_str(), &status) == 0);
  CHECK((status.st_mode & 0777) == 0600);
  CHECK(parse_secrets_key(read_file(path)));
  const auto again = load_secrets(config);  // the second start reads the same key
  REQUIRE(again);
  CHECK_FALSE(again->notice);
  CHECK(again->secrets->open(created->secrets->seal("same", "c"), "c") == "same");

  config.database_path = "postgresql://scopegate@localhost/scopegate";
  const auto postgres = load_secrets(config);
  REQUIRE_FALSE(postgres);
  CHECK(postgres.error().find("on PostgreSQL every instance must seal with the same key") !=
        std::string::npos);
  CHECK(generated_key_file("sqlite:/var/lib/x.db") == "/var/lib/x.db.secrets-key");
}
