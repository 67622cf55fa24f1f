#include "server/secrets.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "server/crypto.hpp"
#include "server/store/open_store.hpp"

namespace scopegate::server {

namespace {

constexpr std::string_view sealed_prefix = "xc20p1:";
constexpr std::size_t nonce_bytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t tag_bytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == secrets_key_bytes);

const unsigned char* bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::optional<std::vector<unsigned char>> from_base64(std::string_view text, int variant) {
  std::vector<unsigned char> out(text.size());
  std::size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &length, &end,
                        variant) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(length);
  return out;
}

std::string to_hex(const SecretsKey& key) {
  std::string out(key.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), key.data(), key.size());
  out.pop_back();
  return out;
}

Result<SecretsKey, std::string> read_key_file(const std::string& path, std::string& warning) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return unexpected(fmt::format("{}: error: cannot read the secrets key file", path));
  std::ostringstream text;
  text << in.rdbuf();
  auto key = parse_secrets_key(text.str());
  std::string contents = text.str();
  sodium_memzero(contents.data(), contents.size());
  if (!key) {
    return unexpected(fmt::format(
        "{}: error: the secrets key file must hold 32 bytes as 64 hex digits or base64", path));
  }
  struct stat status {};
  if (::stat(path.c_str(), &status) == 0 && (status.st_mode & 077) != 0) {
    warning =
        fmt::format("secrets key file {} may be read by other users (mode {:o}): `chmod 600 {}`",
                    path, status.st_mode & 0777, path);
  }
  return *key;
}

// Writes a new random key to `path` unless a file is there already: the key goes to a
// temporary file of mode 0600, which is then linked to `path` (link() fails when `path`
// exists, so a concurrent first start keeps the first key). True when this call created it.
Result<bool, std::string> create_key_file(const std::string& path) {
  SecretsKey key;
  randombytes_buf(key.data(), key.size());
  auto text = to_hex(key) + "\n";
  sodium_memzero(key.data(), key.size());
  const auto temporary = fmt::format("{}.{}.tmp", path, random_alphanumeric(12));
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return unexpected(fmt::format("{}: error: cannot create the secrets key file: {}", path,
                                  std::strerror(errno)));
  }
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       ::fsync(fd) == 0;
  sodium_memzero(text.data(), text.size());
  ::close(fd);
  if (!written) {
    ::unlink(temporary.c_str());
    return unexpected(fmt::format("{}: error: cannot write the secrets key file", path));
  }
  const bool linked = ::link(temporary.c_str(), path.c_str()) == 0;
  const int link_error = errno;
  ::unlink(temporary.c_str());
  if (!linked && link_error != EEXIST) {
    return unexpected(fmt::format("{}: error: cannot create the secrets key file: {}", path,
                                  std::strerror(link_error)));
  }
  return linked;
}

}  // namespace

Secrets::~Secrets() { sodium_memzero(m_key.data(), m_key.size()); }

std::string Secrets::seal(std::string_view plaintext, std::string_view context) const {
  std::vector<unsigned char> sealed(nonce_bytes + plaintext.size() + tag_bytes);
  randombytes_buf(sealed.data(), nonce_bytes);
  unsigned long long length = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(sealed.data() + nonce_bytes, &length, bytes(plaintext),
                                             plaintext.size(), bytes(context), context.size(),
                                             nullptr, sealed.data(), m_key.data());
  std::string out(sodium_base64_encoded_len(sealed.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), sealed.data(), sealed.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();  // the terminating NUL
  return std::string(sealed_prefix) + out;
}

std::optional<std::string> Secrets::open(std::string_view sealed, std::string_view context) const {
  if (sealed.substr(0, sealed_prefix.size()) != sealed_prefix) return std::nullopt;
  const auto raw = from_base64(sealed.substr(sealed_prefix.size()), sodium_base64_VARIANT_ORIGINAL);
  if (!raw || raw->size() < nonce_bytes + tag_bytes) return std::nullopt;
  std::string out(raw->size() - nonce_bytes - tag_bytes, '\0');
  unsigned long long length = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(out.data()),
                                                 &length, nullptr, raw->data() + nonce_bytes,
                                                 raw->size() - nonce_bytes, bytes(context),
                                                 context.size(), raw->data(), m_key.data()) != 0) {
    return std::nullopt;
  }
  out.resize(length);
  return out;
}

std::optional<SecretsKey> parse_secrets_key(std::string_view text) {
  text = trimmed(text);
  std::optional<std::vector<unsigned char>> raw;
  if (text.size() == secrets_key_bytes * 2) {
    std::vector<unsigned char> out(secrets_key_bytes);
    std::size_t length = 0;
    const char* end = nullptr;
    if (sodium_hex2bin(out.data(), out.size(), text.data(), text.size(), nullptr, &length, &end) ==
            0 &&
        end == text.data() + text.size()) {
      raw = std::move(out);
    }
  }
  for (const int variant :
       {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
        sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING}) {
    if (!raw) raw = from_base64(text, variant);
  }
  if (!raw || raw->size() != secrets_key_bytes) return std::nullopt;
  SecretsKey key;
  std::copy(raw->begin(), raw->end(), key.begin());
  sodium_memzero(raw->data(), raw->size());
  return key;
}

std::optional<std::string> generated_key_file(const std::string& database_location) {
  if (store_kind(database_location) == StoreKind::postgres) return std::nullopt;
  return sqlite_file(database_location) + ".secrets-key";
}

Result<LoadedSecrets, std::string> load_secrets(const Config& config) {
  LoadedSecrets out;
  if (const char* value = std::getenv(secrets_key_variable); value != nullptr && *value != '\0') {
    const auto key = parse_secrets_key(value);
    if (!key) {
      return unexpected(
          fmt::format("error: {} must be 32 bytes as 64 hex digits or base64 (e.g. the output of "
                      "`openssl rand -hex 32`)",
                      secrets_key_variable));
    }
    out.secrets = std::make_unique<Secrets>(*key);
    out.source = secrets_key_variable;
    return out;
  }
  std::string path = config.secrets_key_file;
  if (path.empty()) {
    const auto generated = generated_key_file(config.database_path);
    if (!generated) {
      return unexpected(fmt::format(
          "error: no secrets key: on PostgreSQL every instance must seal with the same key; set "
          "{} or `[secrets] key_file` (32 bytes as 64 hex digits, e.g. `openssl rand -hex 32`) "
          "on each instance",
          secrets_key_variable));
    }
    path = *generated;
    auto created = create_key_file(path);
    if (!created) return unexpected(std::move(created.error()));
    if (*created) {
      out.created = path;
      out.notice = fmt::format(
          "scopegate: created the secrets key file {} (mode 0600): it seals the credentials "
          "stored in the database; back it up with the database, and keep it apart from its "
          "backups\n",
          path);
    }
  }
  std::string warning;
  auto key = read_key_file(path, warning);
  if (!key) return unexpected(std::move(key.error()));
  if (!warning.empty()) out.warning = std::move(warning);
  out.secrets = std::make_unique<Secrets>(*key);
  sodium_memzero(key->data(), key->size());
  out.source = path;
  return out;
}

}  // namespace scopegate::server
