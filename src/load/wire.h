// The load generator's HTTP/1.1 wire: request serialisation and a minimal
// response parser (status line, Content-Length or chunked body, keep-alive),
// lean enough for wrk-class request rates. Only what a load generator needs:
// no 1xx interim responses beyond skipping them, no trailers kept.
// Thread-safety: pure functions over caller-owned buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scalelab::load {

// Appends "METHOD target HTTP/1.1" with Host, optional Content-Type,
// Content-Length (when there is a body or the method sends one) and headers.
void append_request(std::string& out, std::string_view method, std::string_view target,
                    std::string_view host_header, std::string_view content_type, std::string_view body,
                    const std::vector<std::pair<std::string, std::string>>& headers);

struct ParsedResponse {
  unsigned status = 0;
  std::size_t consumed = 0;  // bytes of the buffer this response used
  std::size_t body_offset = 0, body_length = 0;  // the body (Content-Length)
  std::string chunked_body;  // the decoded body when chunked
  bool chunked = false;
  bool keep_alive = true;
  std::string_view body(std::string_view buffer) const {
    return chunked ? std::string_view(chunked_body) : buffer.substr(body_offset, body_length);
  }
};

enum class ParseState { kNeedMore, kComplete, kError };

// Parses one response from the start of buffer. kNeedMore until it is whole.
// head_only: a response to HEAD (no body whatever Content-Length says).
// A response with neither length nor chunking is delimited by the close, so
// it completes only when eof is true.
ParseState parse_response(std::string_view buffer, bool head_only, bool eof, ParsedResponse& out,
                          std::size_t max_head_bytes = 64 * 1024);

}  // namespace scalelab::load
