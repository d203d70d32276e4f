#include "gateway/portal/qr_svg.hpp"

#include <qrencode.h>

#include <memory>
#include <stdexcept>

namespace tlsgate::portal {

std::string qr_svg(const std::string& text, int pixels) {
  const std::unique_ptr<QRcode, decltype(&QRcode_free)> qr(
      QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), &QRcode_free);
  if (!qr) throw std::runtime_error("cannot encode a QR code for " + std::to_string(text.size()) + " bytes");
  constexpr int quiet = 4;
  const int width = qr->width;
  const int side = width + 2 * quiet;
  // One path of unit squares, one per dark module (bit 0 of each byte).
  std::string path;
  for (int y = 0; y < width; ++y)
    for (int x = 0; x < width; ++x)
      if (qr->data[y * width + x] & 1)
        path += "M" + std::to_string(x + quiet) + " " + std::to_string(y + quiet) + "h1v1h-1z";
  const std::string s = std::to_string(side);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"QR code of this page\" width=\"" +
         std::to_string(pixels) + "\" height=\"" + std::to_string(pixels) + "\" viewBox=\"0 0 " + s + " " + s +
         "\" shape-rendering=\"crispEdges\"><rect width=\"" + s + "\" height=\"" + s + "\" fill=\"#fff\"/><path d=\"" +
         path + "\" fill=\"#000\"/></svg>";
}

}  // namespace tlsgate::portal
