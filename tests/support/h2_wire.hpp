#pragma once
// Both ends of an HTTP/2 conversation as the request gate's tests and fuzzer
// see them: frames built and walked by hand (RFC 9113 §4.1), an HPACK encoder
// that indexes like a browser's, and decoders playing the upstream and the client.
// Header-only: shared by unit tests and fuzz targets.
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tlsgate::test::h2wire {

using Fields = std::vector<std::pair<std::string, std::string>>;

inline void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

inline std::uint32_t get_u32(std::string_view b, std::size_t at) {
  return (std::uint32_t(std::uint8_t(b[at])) << 24) | (std::uint32_t(std::uint8_t(b[at + 1])) << 16) |
         (std::uint32_t(std::uint8_t(b[at + 2])) << 8) | std::uint8_t(b[at + 3]);
}

inline std::string frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream, std::string_view payload) {
  std::string out;
  const auto n = static_cast<std::uint32_t>(payload.size());
  out.push_back(static_cast<char>(n >> 16));
  out.push_back(static_cast<char>(n >> 8));
  out.push_back(static_cast<char>(n));
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(flags));
  put_u32(out, stream);
  out.append(payload);
  return out;
}

inline std::string settings(std::vector<std::pair<std::uint16_t, std::uint32_t>> entries) {
  std::string p;
  for (auto [id, v] : entries) {
    p.push_back(static_cast<char>(id >> 8));
    p.push_back(static_cast<char>(id));
    put_u32(p, v);
  }
  return frame(0x4, 0, 0, p);
}

inline std::string window_update(std::uint32_t stream, std::uint32_t increment) {
  std::string p;
  put_u32(p, increment);
  return frame(0x8, 0, stream, p);
}

// An HPACK encoder with incremental indexing (nghttp2's deflater, as browsers do).
class Encoder {
 public:
  explicit Encoder(std::size_t table = 4096) {
    nghttp2_hd_deflater* p = nullptr;
    nghttp2_hd_deflate_new(&p, table);
    d_.reset(p);
  }
  std::string encode(const Fields& fields) {
    std::vector<nghttp2_nv> nva;
    for (const auto& [n, v] : fields) {
      nva.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(n.data())),
                     reinterpret_cast<std::uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(),
                     NGHTTP2_NV_FLAG_NONE});
    }
    std::string out(nghttp2_hd_deflate_bound(d_.get(), nva.data(), nva.size()), '\0');
    const auto n = nghttp2_hd_deflate_hd(d_.get(), reinterpret_cast<std::uint8_t*>(out.data()), out.size(),
                                         nva.data(), nva.size());
    out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
    return out;
  }

 private:
  struct Del {
    void operator()(nghttp2_hd_deflater* p) const { nghttp2_hd_deflate_del(p); }
  };
  std::unique_ptr<nghttp2_hd_deflater, Del> d_;
};

class Decoder {
 public:
  // max_table: the largest dynamic table size update the decoder accepts (its SETTINGS_HEADER_TABLE_SIZE).
  explicit Decoder(std::size_t max_table = 4096) {
    nghttp2_hd_inflater* p = nullptr;
    nghttp2_hd_inflate_new(&p);
    d_.reset(p);
    if (max_table > 4096) nghttp2_hd_inflate_change_table_size(p, max_table);
  }
  // nullopt: the block does not decode.
  std::optional<Fields> decode(std::string_view block) {
    Fields out;
    const auto* in = reinterpret_cast<const std::uint8_t*>(block.data());
    std::size_t left = block.size();
    for (;;) {
      nghttp2_nv nv;
      int flags = 0;
      const auto used = nghttp2_hd_inflate_hd2(d_.get(), &nv, &flags, in, left, 1);
      if (used < 0) return std::nullopt;
      in += used;
      left -= static_cast<std::size_t>(used);
      if ((flags & NGHTTP2_HD_INFLATE_EMIT) != 0) {
        out.emplace_back(std::string(reinterpret_cast<const char*>(nv.name), nv.namelen),
                         std::string(reinterpret_cast<const char*>(nv.value), nv.valuelen));
      }
      if ((flags & NGHTTP2_HD_INFLATE_FINAL) != 0) {
        nghttp2_hd_inflate_end_headers(d_.get());
        return out;
      }
      if ((flags & NGHTTP2_HD_INFLATE_EMIT) == 0 && left == 0) return std::nullopt;
    }
  }
  std::size_t table_entries() { return nghttp2_hd_inflate_get_num_table_entries(d_.get()) - 61; }

 private:
  struct Del {
    void operator()(nghttp2_hd_inflater* p) const { nghttp2_hd_inflate_del(p); }
  };
  std::unique_ptr<nghttp2_hd_inflater, Del> d_;
};

struct Frame {
  std::uint8_t type = 0, flags = 0;
  std::uint32_t stream = 0;
  std::string payload;
};

// Splits bytes into whole frames; nullopt when they do not end on a frame boundary.
inline std::optional<std::vector<Frame>> frames(std::string_view bytes) {
  std::vector<Frame> out;
  while (!bytes.empty()) {
    if (bytes.size() < 9) return std::nullopt;
    const std::size_t n = (std::size_t(std::uint8_t(bytes[0])) << 16) | (std::size_t(std::uint8_t(bytes[1])) << 8) |
                          std::uint8_t(bytes[2]);
    if (bytes.size() < 9 + n) return std::nullopt;
    out.push_back({std::uint8_t(bytes[3]), std::uint8_t(bytes[4]), get_u32(bytes, 5) & 0x7fffffffu,
                   std::string(bytes.substr(9, n))});
    bytes.remove_prefix(9 + n);
  }
  return out;
}

// A header block reassembled from HEADERS + CONTINUATION and decoded.
struct Block {
  std::uint32_t stream = 0;
  bool end_stream = false;
  std::string priority;  // the 5 priority bytes, if any
  Fields fields;
};

struct Walk {
  bool ok = true;  // every frame well formed, every block complete and decodable
  std::vector<Block> blocks;
  std::vector<Frame> others;  // frames other than HEADERS / CONTINUATION, in order
};

// Walks one direction's frames the way its receiver would, decoding header blocks with `decoder`.
inline Walk walk(std::string_view bytes, Decoder& decoder, std::size_t max_frame = 16384) {
  Walk w;
  auto fs = frames(bytes);
  if (!fs) return {false, {}, {}};
  std::optional<Block> open;
  std::string fragment;
  for (const Frame& f : *fs) {
    if (f.payload.size() > max_frame) w.ok = false;
    if (open && (f.type != 0x9 || f.stream != open->stream)) w.ok = false;
    if (f.type == 0x1) {
      std::string_view p = f.payload;
      std::size_t pad = 0;
      if ((f.flags & 0x8) != 0) {
        if (p.empty()) return {false, {}, {}};
        pad = std::uint8_t(p[0]);
        p.remove_prefix(1);
      }
      Block b{f.stream, (f.flags & 0x1) != 0, {}, {}};
      if ((f.flags & 0x20) != 0) {
        if (p.size() < 5) return {false, {}, {}};
        b.priority = std::string(p.substr(0, 5));
        p.remove_prefix(5);
      }
      if (pad > p.size()) return {false, {}, {}};
      fragment = std::string(p.substr(0, p.size() - pad));
      open = b;
    } else if (f.type == 0x9) {
      if (!open) return {false, {}, {}};
      fragment += f.payload;
    } else {
      w.others.push_back(f);
      continue;
    }
    if ((f.flags & 0x4) != 0) {
      auto fields = decoder.decode(fragment);
      if (!fields) return {false, {}, {}};
      open->fields = std::move(*fields);
      w.blocks.push_back(std::move(*open));
      open.reset();
    }
  }
  if (open) w.ok = false;
  return w;
}

}  // namespace tlsgate::test::h2wire
