#pragma once
// Header rules on an HTTP/1 request head: the head as the client sent it, rewritten before it
// goes upstream. Pure.
#include <span>
#include <string>
#include <string_view>

#include "gateway/http/request_gate.hpp"

namespace tlsgate::http::h1 {

// Appends `head` to `out` with `edits` applied in order. `head`: a complete request head that
// parse_request_head() accepted (`start`: the start line's offset, HeadScanner::start()), every
// line CRLF-ended, the empty line last. An edit that header_edit_error() refuses is skipped. A
// set field goes where the first field of its name was (or after the last field), written
// `Name: value` with the edit's spelling; lines no edit touches keep their bytes. Returns
// whether a field changed (false: `head` was appended as it is).
bool append_edited_head(std::string_view head, std::size_t start, std::span<const HeaderEdit> edits,
                        std::string& out);

}  // namespace tlsgate::http::h1
