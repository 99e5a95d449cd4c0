#include "services/albums/albums.h"

#include <cmath>

#include <fmt/format.h>

#include "core/json_writer.h"
#include "core/run_blocking.h"
#include "services/common/validation.h"

namespace scalelab::albums {

namespace {

constexpr std::string_view kKeyPrefix = "album/";

std::string key_of(std::string_view id) { return std::string(kKeyPrefix) + std::string(id); }

Result<std::string> string_field(const boost::json::object& o, std::string_view name) {
  auto it = o.find(name);
  if (it == o.end()) return Error{ErrorKind::kInvalidInput, fmt::format("field '{}' is required", name)};
  if (!it->value().is_string())
    return Error{ErrorKind::kInvalidInput, fmt::format("field '{}' must be a string", name)};
  const auto& s = it->value().get_string();
  if (s.empty()) return Error{ErrorKind::kInvalidInput, fmt::format("field '{}' must not be empty", name)};
  if (s.size() > kMaxFieldLength)
    return Error{ErrorKind::kInvalidInput,
                 fmt::format("field '{}' is longer than {} characters", name, kMaxFieldLength)};
  return std::string(s);
}

constexpr std::string_view kService = "album";  // "album store unavailable: …"

}  // namespace

Result<Album> album_from_json(const boost::json::value& body) {
  if (!body.is_object()) return Error{ErrorKind::kInvalidInput, "body must be a JSON object"};
  const auto& o = body.get_object();
  Album album;
  for (auto [name, field] : {std::pair{"id", &album.id}, std::pair{"title", &album.title},
                             std::pair{"artist", &album.artist}}) {
    auto v = string_field(o, name);
    if (!v) return v.error();
    *field = std::move(*v);
  }
  if (album.id.size() > kMaxIdLength ||
      album.id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-") !=
          std::string::npos)
    return Error{ErrorKind::kInvalidInput,
                 fmt::format("field 'id' must be 1-{} characters of A-Z a-z 0-9 . _ ~ -", kMaxIdLength)};
  auto price = o.find("price");
  if (price == o.end()) return Error{ErrorKind::kInvalidInput, "field 'price' is required"};
  if (!price->value().is_number())
    return Error{ErrorKind::kInvalidInput, "field 'price' must be a number"};
  album.price = price->value().to_number<double>();
  if (!std::isfinite(album.price) || album.price < 0)
    return Error{ErrorKind::kInvalidInput, "field 'price' must be a number >= 0"};
  return album;
}

std::string album_to_json(const Album& a) {
  std::string out;
  out.reserve(64 + a.id.size() + a.title.size() + a.artist.size());
  JsonWriter(out)
      .begin_object()
      .field("id", a.id)
      .field("title", a.title)
      .field("artist", a.artist)
      .field("price", a.price)
      .end_object();
  return out;
}

std::string albums_list_json(const std::vector<store::KeyValue>& records) {
  std::size_t size = 2;
  for (const auto& [key, json] : records) size += json.size() + 1;
  std::string body;
  body.reserve(size);
  JsonWriter w(body);
  w.begin_array();
  for (const auto& [key, json] : records) w.raw(json);
  w.end_array();
  return body;
}

const std::vector<Album>& seed_albums() {
  static const std::vector<Album> kSeed = {
      {"1", "Blue Train", "John Coltrane", 56.99},
      {"2", "Jeru", "Gerry Mulligan", 17.99},
      {"3", "Sarah Vaughan and Clifford Brown", "Sarah Vaughan", 39.99},
  };
  return kSeed;
}

boost::asio::awaitable<Status> seed(store::Store& store) {
  for (const auto& album : seed_albums()) {
    auto stored = co_await store.put_if_absent(key_of(album.id), album_to_json(album));
    if (!stored) co_return stored.error();
  }
  co_return Status{};
}

void register_routes(http::Router& router, store::Store& store) {
  router.get("/albums", [&store](http::Request&) -> boost::asio::awaitable<http::Response> {
    auto all = co_await store.scan(kKeyPrefix);
    if (!all) services::throw_store_failure(kService, all.error());
    co_return http::Response::json_text(200, albums_list_json(*all));
  });

  router.get("/albums/{id}", [&store](http::Request& req) -> boost::asio::awaitable<http::Response> {
    auto found = co_await store.get(key_of(req.param("id")));
    if (!found) services::throw_store_failure(kService, found.error());
    if (!*found) co_return http::Response::error(404, http::code::kNotFound, "album not found");
    co_return http::Response::json_text(200, std::move(**found));
  });

  router.post("/albums", [&store](http::Request& req) -> boost::asio::awaitable<http::Response> {
    auto album = album_from_json(req.json());
    if (!album) co_return http::Response::error(400, http::code::kInvalidInput, album.error().message);
    std::string json = album_to_json(*album);
    auto stored = co_await store.put_if_absent(key_of(album->id), json);
    if (!stored) services::throw_store_failure(kService, stored.error());
    if (!*stored)
      co_return http::Response::error(409, http::code::kConflict,
                                      fmt::format("album {} already exists", album->id));
    auto res = http::Response::json_text(201, std::move(json));
    res.headers.emplace_back("Location", "/albums/" + album->id);
    co_return res;
  });
}

Status install(http::Router& router, store::Store& store) {
  if (auto seeded = run_blocking(seed(store)); !seeded)
    return Error{seeded.error().kind, "cannot seed the album store: " + seeded.error().message};
  register_routes(router, store);
  return {};
}

}  // namespace scalelab::albums
