#include "server/qr_png.hpp"

#include <qrencode.h>
#include <zlib.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace scopegate::server {

namespace {

constexpr int quiet_zone = 4;

void append_u32(std::string& out, std::uint32_t value) {
  out += static_cast<char>((value >> 24) & 0xFF);
  out += static_cast<char>((value >> 16) & 0xFF);
  out += static_cast<char>((value >> 8) & 0xFF);
  out += static_cast<char>(value & 0xFF);
}

// A PNG chunk: length, type, data, and the CRC-32 of type and data.
void append_chunk(std::string& out, std::string_view type, std::string_view data) {
  append_u32(out, static_cast<std::uint32_t>(data.size()));
  const auto start = out.size();
  out += type;
  out += data;
  const auto* bytes = reinterpret_cast<const Bytef*>(out.data() + start);
  append_u32(out,
             static_cast<std::uint32_t>(crc32(0L, bytes, static_cast<uInt>(out.size() - start))));
}

}  // namespace

std::optional<QrImage> qr_png(std::string_view text, int scale) {
  const std::string owned(text);
  const std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeData(static_cast<int>(owned.size()),
                        reinterpret_cast<const unsigned char*>(owned.data()), 0, QR_ECLEVEL_M),
      &QRcode_free);
  if (!code) return std::nullopt;

  QrImage image;
  image.modules = code->width;
  image.pixels = (code->width + 2 * quiet_zone) * scale;
  const auto width = static_cast<std::size_t>(image.pixels);
  // Each row: filter type 0 (none), then one grey byte per pixel (0 black, 255 white).
  std::vector<unsigned char> raw;
  raw.reserve((width + 1) * width);
  for (int y = 0; y < image.pixels; ++y) {
    raw.push_back(0);
    const int my = y / scale - quiet_zone;
    for (int x = 0; x < image.pixels; ++x) {
      const int mx = x / scale - quiet_zone;
      const bool inside = mx >= 0 && my >= 0 && mx < code->width && my < code->width;
      const bool dark = inside && (code->data[my * code->width + mx] & 1) != 0;
      raw.push_back(dark ? 0 : 255);
    }
  }
  uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
  std::string packed(packed_size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size, raw.data(),
                static_cast<uLong>(raw.size()), Z_BEST_COMPRESSION) != Z_OK) {
    return std::nullopt;
  }
  packed.resize(packed_size);

  std::string header;
  append_u32(header, static_cast<std::uint32_t>(width));
  append_u32(header, static_cast<std::uint32_t>(width));
  header += '\x08';  // bit depth
  header += '\x00';  // colour type: greyscale
  header += '\x00';  // compression: deflate
  header += '\x00';  // filter method 0
  header += '\x00';  // no interlace
  image.png = "\x89PNG\r\n\x1a\n";
  append_chunk(image.png, "IHDR", header);
  append_chunk(image.png, "IDAT", packed);
  append_chunk(image.png, "IEND", {});
  return image;
}

}  // namespace scopegate::server
