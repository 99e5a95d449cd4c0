#include "services/albums/albums.h"

#include <stdexcept>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "core/run_blocking.h"
#include "http/client.h"
#include "store/memory_store.h"
#include "support/test_server.h"

using namespace std::chrono_literals;
using namespace scalelab;
using scalelab::testkit::TestServer;

namespace {

std::string validation_error(const std::string& body) {
  auto r = albums::album_from_json(boost::json::parse(body));
  return r.ok() ? "" : r.error().message;
}

class AlbumsApi : public ::testing::Test {
 protected:
  AlbumsApi()
      : server_([this](http::Router& r) {
          if (!albums::install(r, store_).ok()) throw std::runtime_error("install failed");
        }),
        client_(options()) {}

  http::ClientOptions options() {
    http::ClientOptions o;
    o.port = server_.port();
    return o;
  }

  store::MemoryStore store_;
  TestServer server_;
  http::BlockingClient client_;
};

}  // namespace

TEST(AlbumValidation, AcceptsAValidAlbum) {
  auto r = albums::album_from_json(
      boost::json::parse(R"({"id":"4","title":"T","artist":"A","price":49.99,"extra":true})"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->id, "4");
  EXPECT_DOUBLE_EQ(r->price, 49.99);
}

TEST(AlbumValidation, IntegerPriceIsANumber) {
  EXPECT_EQ(validation_error(R"({"id":"4","title":"T","artist":"A","price":10})"), "");
  EXPECT_EQ(validation_error(R"({"id":"4","title":"T","artist":"A","price":0})"), "");
}

TEST(AlbumValidation, NamesTheOffendingField) {
  EXPECT_EQ(validation_error(R"([1])"), "body must be a JSON object");
  EXPECT_EQ(validation_error(R"({"title":"T","artist":"A","price":1})"), "field 'id' is required");
  EXPECT_EQ(validation_error(R"({"id":4,"title":"T","artist":"A","price":1})"), "field 'id' must be a string");
  EXPECT_EQ(validation_error(R"({"id":"4","title":"","artist":"A","price":1})"), "field 'title' must not be empty");
  EXPECT_EQ(validation_error(R"({"id":"4","title":"T","price":1})"), "field 'artist' is required");
  EXPECT_EQ(validation_error(R"({"id":"4","title":"T","artist":"A"})"), "field 'price' is required");
  EXPECT_EQ(validation_error(R"({"id":"4","title":"T","artist":"A","price":"9"})"), "field 'price' must be a number");
  EXPECT_EQ(validation_error(R"({"id":"4","title":"T","artist":"A","price":-0.01})"), "field 'price' must be a number >= 0");
}

TEST(AlbumValidation, IdMustBeUrlSafe) {
  EXPECT_NE(validation_error(R"({"id":"a/b","title":"T","artist":"A","price":1})"), "");
  EXPECT_NE(validation_error(R"({"id":"a\r\nX: y","title":"T","artist":"A","price":1})"), "");
  EXPECT_EQ(validation_error(R"({"id":"a-b_c.d~e","title":"T","artist":"A","price":1})"), "");
}

TEST(AlbumJson, RoundTripsThroughValidation) {
  albums::Album a{"9", "Ti\"tle", "Ar\\tist", 17.99};
  auto back = albums::album_from_json(boost::json::parse(albums::album_to_json(a)));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->title, a.title);
  EXPECT_EQ(back->artist, a.artist);
  EXPECT_DOUBLE_EQ(back->price, a.price);
}

TEST_F(AlbumsApi, ListsTheThreeSeedAlbums) {
  auto r = client_.get("/albums", 2s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(r->body,
            R"([{"id":"1","title":"Blue Train","artist":"John Coltrane","price":56.99},)"
            R"({"id":"2","title":"Jeru","artist":"Gerry Mulligan","price":17.99},)"
            R"({"id":"3","title":"Sarah Vaughan and Clifford Brown","artist":"Sarah Vaughan","price":39.99}])");
}

TEST_F(AlbumsApi, GetsOneAlbum) {
  auto r = client_.get("/albums/2", 2s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(r->body, R"({"id":"2","title":"Jeru","artist":"Gerry Mulligan","price":17.99})");
}

TEST_F(AlbumsApi, UnknownAlbumIs404WithMessage) {
  auto r = client_.get("/albums/99", 2s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404u);
  EXPECT_EQ(boost::json::parse(r->body).at("message").as_string(), "album not found");
}

TEST_F(AlbumsApi, PostCreatesAlbumThenDuplicateIs409) {
  const std::string betty =
      R"({"id":"4","title":"The Modern Sound of Betty Carter","artist":"Betty Carter","price":49.99})";
  auto created = client_.post_json("/albums", betty, 2s);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->status, 201u);
  EXPECT_EQ(created->body, betty);
  EXPECT_EQ(created->header("Location"), "/albums/4");
  auto fetched = client_.get("/albums/4", 2s);
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(fetched->body, betty);
  auto again = client_.post_json("/albums", betty, 2s);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 409u);
  EXPECT_EQ(boost::json::parse(again->body).at("error").as_string(), "CONFLICT");
}

TEST_F(AlbumsApi, InvalidAlbumIs400AndNotStored) {
  auto r = client_.post_json("/albums", R"({"id":"5","title":"T","artist":"A","price":-1})", 2s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400u);
  EXPECT_EQ(boost::json::parse(r->body).at("error").as_string(), "INVALID_INPUT");
  EXPECT_EQ(client_.get("/albums/5", 2s)->status, 404u);
}

TEST_F(AlbumsApi, NonJsonBodyIs415) {
  http::ClientRequest req;
  req.method = http::Method::kPost;
  req.target = "/albums";
  req.body = "id=5";
  req.content_type = "application/x-www-form-urlencoded";
  auto r = client_.send(req, 2s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 415u);
}

TEST_F(AlbumsApi, SeedingAgainKeepsExistingAlbums) {
  ASSERT_TRUE(run_blocking(store_.put("album/1", R"({"id":"1","title":"Changed","artist":"X","price":1})")).ok());
  ASSERT_TRUE(run_blocking(albums::seed(store_)).ok());
  EXPECT_NE(client_.get("/albums/1", 2s)->body.find("Changed"), std::string::npos);
}
