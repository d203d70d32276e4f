#pragma once
// A QR code as an inline SVG image (libqrencode), for phones to open the portal.
#include <string>

namespace tlsgate::portal {

// An <svg> element of the QR code for `text` (error correction M, 4-module quiet zone,
// `pixels` wide). Throws std::runtime_error if the text does not fit a QR code.
std::string qr_svg(const std::string& text, int pixels = 200);

}  // namespace tlsgate::portal
