#include "load/wire.h"

#include <charconv>
#include <cstring>

#include "core/text.h"

namespace scalelab::load {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  return true;
}

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i)
    if (iequals(hay.substr(i, needle.size()), needle)) return true;
  return false;
}

// Decodes a chunked body starting at pos. kNeedMore until the last chunk and
// the trailer's empty line are in.
ParseState parse_chunked(std::string_view buf, std::size_t pos, ParsedResponse& out) {
  out.chunked_body.clear();
  for (;;) {
    const auto eol = buf.find("\r\n", pos);
    if (eol == std::string_view::npos) return buf.size() - pos > 1024 ? ParseState::kError : ParseState::kNeedMore;
    std::string_view size_line = buf.substr(pos, eol - pos);
    if (auto semi = size_line.find(';'); semi != std::string_view::npos) size_line = size_line.substr(0, semi);
    size_line = core::trim(size_line);
    std::size_t size = 0;
    auto [p, ec] = std::from_chars(size_line.data(), size_line.data() + size_line.size(), size, 16);
    if (ec != std::errc() || p != size_line.data() + size_line.size()) return ParseState::kError;
    pos = eol + 2;
    if (size == 0) {
      // Trailer fields, then an empty line.
      for (;;) {
        const auto end = buf.find("\r\n", pos);
        if (end == std::string_view::npos) return ParseState::kNeedMore;
        if (end == pos) {
          out.consumed = end + 2;
          return ParseState::kComplete;
        }
        pos = end + 2;
      }
    }
    if (buf.size() < pos + size + 2) return ParseState::kNeedMore;
    out.chunked_body.append(buf.substr(pos, size));
    if (buf.substr(pos + size, 2) != "\r\n") return ParseState::kError;
    pos += size + 2;
  }
}

}  // namespace

void append_request(std::string& out, std::string_view method, std::string_view target,
                    std::string_view host_header, std::string_view content_type, std::string_view body,
                    const std::vector<std::pair<std::string, std::string>>& headers) {
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(host_header).append("\r\n");
  for (const auto& [k, v] : headers) out.append(k).append(": ").append(v).append("\r\n");
  if (!content_type.empty()) out.append("Content-Type: ").append(content_type).append("\r\n");
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    char num[24];
    auto [p, ec] = std::to_chars(num, num + sizeof num, body.size());
    out.append("Content-Length: ").append(num, p).append("\r\n");
  }
  out.append("\r\n").append(body);
}

ParseState parse_response(std::string_view buf, bool head_only, bool eof, ParsedResponse& out,
                          std::size_t max_head_bytes) {
  std::size_t start = 0;
  for (;;) {
    const auto head_end = buf.find("\r\n\r\n", start);
    if (head_end == std::string_view::npos)
      return buf.size() - start > max_head_bytes ? ParseState::kError : ParseState::kNeedMore;
    const std::string_view head = buf.substr(start, head_end - start);
    // "HTTP/1.1 200 OK"
    if (head.size() < 12 || !head.starts_with("HTTP/1.")) return ParseState::kError;
    unsigned status = 0;
    auto [p, ec] = std::from_chars(head.data() + 9, head.data() + 12, status);
    if (ec != std::errc() || p != head.data() + 12 || status < 100 || status > 999) return ParseState::kError;
    const bool http10 = head[7] == '0';
    if (status >= 100 && status < 200 && status != 101) {  // interim: skip it
      start = head_end + 4;
      continue;
    }
    out = ParsedResponse{};
    out.status = status;
    out.keep_alive = !http10;
    long long content_length = -1;
    std::size_t pos = head.find("\r\n");
    while (pos != std::string_view::npos && pos < head.size()) {
      const std::size_t line_start = pos + 2;
      std::size_t line_end = head.find("\r\n", line_start);
      if (line_end == std::string_view::npos) line_end = head.size();
      const std::string_view line = head.substr(line_start, line_end - line_start);
      const auto colon = line.find(':');
      if (colon != std::string_view::npos) {
        const std::string_view name = line.substr(0, colon);
        const std::string_view value = core::trim(line.substr(colon + 1));
        if (iequals(name, "content-length")) {
          long long v = 0;
          auto [q, e] = std::from_chars(value.data(), value.data() + value.size(), v);
          if (e != std::errc() || q != value.data() + value.size() || v < 0) return ParseState::kError;
          content_length = v;
        } else if (iequals(name, "transfer-encoding")) {
          out.chunked = icontains(value, "chunked");
        } else if (iequals(name, "connection")) {
          if (icontains(value, "close")) out.keep_alive = false;
          else if (icontains(value, "keep-alive")) out.keep_alive = true;
        }
      }
      pos = line_end == head.size() ? std::string_view::npos : line_end;
    }
    const std::size_t body_start = head_end + 4;
    out.body_offset = body_start;
    if (head_only || status == 204 || status == 304) {
      out.consumed = body_start;
      return ParseState::kComplete;
    }
    if (out.chunked) return parse_chunked(buf, body_start, out);
    if (content_length >= 0) {
      const auto len = static_cast<std::size_t>(content_length);
      if (buf.size() < body_start + len) return ParseState::kNeedMore;
      out.body_length = len;
      out.consumed = body_start + len;
      return ParseState::kComplete;
    }
    // Delimited by the connection's close.
    out.keep_alive = false;
    if (!eof) return ParseState::kNeedMore;
    out.body_length = buf.size() - body_start;
    out.consumed = buf.size();
    return ParseState::kComplete;
  }
}

}  // namespace scalelab::load
