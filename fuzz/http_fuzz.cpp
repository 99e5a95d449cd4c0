// Fuzzes what a client controls: bytes on the wire go through Beast's request
// parser (with the server's limits), the router, the albums handlers and their
// JSON validation, and response serialization. Any crash, leak, sanitizer
// report or broken invariant below is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/json/parse.hpp>

#include "core/run_blocking.h"
#include "http/detail/exchange.h"
#include "http/router.h"
#include "services/albums/albums.h"
#include "store/memory_store.h"

namespace bhttp = boost::beast::http;
using namespace scalelab;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(16 << 10);
  parser.body_limit(1 << 20);
  parser.eager(true);
  boost::system::error_code ec;
  std::size_t used = 0;
  while (used < size && !parser.is_done()) {
    const std::size_t n = parser.put(boost::asio::buffer(data + used, size - used), ec);
    if (ec == bhttp::error::need_more) break;
    if (ec || n == 0) break;
    used += n;
  }
  if (!parser.is_done()) {
    if (size) parser.put_eof(ec);  // a body delimited by end of stream
    if (!parser.is_done()) return 0;
  }

  store::MemoryStore store;
  http::Router router;
  if (!albums::install(router, store).ok()) std::abort();

  const auto& req = parser.get();
  std::string request_id;
  http::detail::ExchangeContext ctx{router};
  http::Response res = run_blocking(http::detail::exchange(ctx, req, request_id));
  // A client's bytes never produce a server error.
  if (res.status >= 500) std::abort();

  std::string wire;
  http::detail::serialize_response(wire, res, req.version(), req.keep_alive(),
                                   req.method() == bhttp::verb::head, request_id);
  if (wire.find("\r\n\r\n") == std::string::npos) std::abort();

  // Validation straight on the body, whatever the route.
  boost::json::value body = boost::json::parse(req.body(), ec);
  if (!ec) {
    auto album = albums::album_from_json(body);
    if (album.ok()) {
      // What validation accepts must survive a round trip.
      auto again = albums::album_from_json(boost::json::parse(albums::album_to_json(*album)));
      if (!again.ok() || again->id != album->id || again->title != album->title) std::abort();
    }
  }
  return 0;
}
