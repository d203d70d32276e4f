#include "gateway/http/hpack_reencoder.hpp"

#include <algorithm>
#include <new>
#include <vector>

namespace tlsgate::http {

HpackReencoder::HpackReencoder(std::uint32_t peer_table_bytes) {
  nghttp2_hd_deflater* p = nullptr;
  if (nghttp2_hd_deflate_new(&p, max_table_bytes) != 0) throw std::bad_alloc();
  deflater_.reset(p);
  // nghttp2 announces the smallest size set since the last block first, then the current one.
  nghttp2_hd_deflate_change_table_size(p, 0);
  set_peer_table_bytes(peer_table_bytes);
}

void HpackReencoder::set_peer_table_bytes(std::uint32_t bytes) {
  nghttp2_hd_deflate_change_table_size(deflater_.get(), std::min(bytes, max_table_bytes));
}

bool HpackReencoder::encode(std::span<const HeaderField> fields, std::string& out) {
  std::vector<nghttp2_nv> nva;
  nva.reserve(fields.size());
  for (const HeaderField& f : fields) {
    nva.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(f.name.data())),
                   reinterpret_cast<std::uint8_t*>(const_cast<char*>(f.value.data())), f.name.size(),
                   f.value.size(), static_cast<std::uint8_t>(f.never_index ? NGHTTP2_NV_FLAG_NO_INDEX : 0)});
  }
  const std::size_t bound = nghttp2_hd_deflate_bound(deflater_.get(), nva.data(), nva.size());
  const std::size_t at = out.size();
  out.resize(at + bound);
  const auto used = nghttp2_hd_deflate_hd(deflater_.get(), reinterpret_cast<std::uint8_t*>(out.data() + at),
                                          bound, nva.data(), nva.size());
  if (used < 0) {
    out.resize(at);
    return false;
  }
  out.resize(at + static_cast<std::size_t>(used));
  return true;
}

}  // namespace tlsgate::http
