#pragma once
// Header rules on an HTTP/2 request: the fields of its decoded header block, changed before the
// gate's HPACK encoder (hpack_reencoder.hpp) writes the block upstream. Pure.
#include <span>
#include <vector>

#include "gateway/http/hpack_reencoder.hpp"
#include "gateway/http/request_gate.hpp"

namespace tlsgate::http::h2 {

// Applies `edits` in order to `fields` (a request block's, pseudo-headers first). A set edit
// gives the first field of its name the new value (keeping its never-indexed mark) and drops the
// others of that name, or appends one after every other field; its name is written lowercase
// (RFC 9113 §8.2.1). A remove edit drops every field of its name. An edit that
// header_edit_error() refuses is skipped. Returns whether a field changed.
bool apply_header_edits(std::vector<HeaderField>& fields, std::span<const HeaderEdit> edits);

}  // namespace tlsgate::http::h2
