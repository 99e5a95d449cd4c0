// albums (hw1): GET /albums, GET /albums/{id}, POST /albums over a Store,
// seeded with the course's three albums. Album JSON is
// {"id": string, "title": string, "artist": string, "price": number}.
// Thread-safety: handlers are stateless; the Store is thread-safe.
#pragma once

#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include "core/result.h"
#include "http/router.h"
#include "store/store.h"

namespace scalelab::albums {

struct Album {
  std::string id;
  std::string title;
  std::string artist;
  double price = 0;
};

inline constexpr std::size_t kMaxFieldLength = 1024;  // characters, any string field
inline constexpr std::size_t kMaxIdLength = 64;       // ids are URL-safe: A-Z a-z 0-9 . _ ~ -

// Validates a POST body: an object with all four fields, non-empty strings of
// at most kMaxFieldLength, an id of URL-safe characters (it becomes a path),
// and a finite price >= 0. Other fields are ignored.
// The error message names the first offending field.
Result<Album> album_from_json(const boost::json::value& body);
std::string album_to_json(const Album& album);
// GET /albums' body: the stored album records (each already JSON) as one array.
std::string albums_list_json(const std::vector<store::KeyValue>& records);

const std::vector<Album>& seed_albums();

// Stores the seed albums that are not there yet (so a shared store keeps
// albums added by other instances).
boost::asio::awaitable<Status> seed(store::Store& store);

// Registers the albums routes. REQUIRES: store outlives the router's use.
void register_routes(http::Router& router, store::Store& store);

// What every albums process does at start: seed the store (blocking until
// done), then register the routes. Fails, with nothing registered, when the
// store cannot be seeded.
Status install(http::Router& router, store::Store& store);

}  // namespace scalelab::albums
