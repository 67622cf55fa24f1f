// A QR code as a PNG image: what POST /api/v1/mfa/setup returns for an authenticator app
// to scan. The symbol comes from libqrencode (Debian's libqrencode-dev: the QR standard's
// versions, masks and error correction are not worth redoing), the PNG is written here
// (greyscale, 1 byte per pixel, zlib-compressed). Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace scopegate::server {

struct QrImage {
  int modules = 0;  // the symbol's width in modules, without the quiet zone
  int pixels = 0;   // the image's width (and height) in pixels
  std::string png;  // the PNG file's bytes
};

// `text` as a QR code (error correction level M, byte mode), each module `scale` pixels
// square, with the standard 4-module quiet zone. Nullopt when the text does not fit.
std::optional<QrImage> qr_png(std::string_view text, int scale = 4);

}  // namespace scopegate::server
