#include "http/router.h"

#include <gtest/gtest.h>

using namespace scalelab::http;

namespace {

Handler ok_handler(std::string tag) {
  return [tag](Request&) -> boost::asio::awaitable<Response> { co_return Response::text(200, tag); };
}

Request make(Method m, std::string_view target) {
  return Request(m, to_string(m), target, {}, "rid", nullptr, nullptr);
}

Router albums_router() {
  Router r;
  r.get("/albums", ok_handler("list"));
  r.post("/albums", ok_handler("create"));
  r.get("/albums/{id}", ok_handler("one"));
  r.get("/products/{productId:int}", ok_handler("product"));
  r.post("/products/{productId:int}/details", ok_handler("details"));
  return r;
}

}  // namespace

TEST(Router, MatchesLiteralRoute) {
  Router r = albums_router();
  auto req = make(Method::kGet, "/albums");
  auto m = r.match(req);
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/albums");
}

TEST(Router, BindsPathParameter) {
  Router r = albums_router();
  auto req = make(Method::kGet, "/albums/42?x=1");
  auto m = r.match(req);
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/albums/{id}");
  EXPECT_EQ(req.param("id"), "42");
  EXPECT_EQ(req.query(), "x=1");
}

TEST(Router, PercentDecodesParameters) {
  Router r = albums_router();
  auto req = make(Method::kGet, "/albums/a%20b");
  ASSERT_NE(r.match(req).route, nullptr);
  EXPECT_EQ(req.param("id"), "a b");
}

TEST(Router, MalformedEscapeDoesNotMatch) {
  Router r = albums_router();
  auto req = make(Method::kGet, "/albums/a%2");
  EXPECT_EQ(r.match(req).route, nullptr);
}

TEST(Router, IntParameterRejectsNonIntegers) {
  Router r = albums_router();
  for (const char* bad : {"/products/abc", "/products/1.5", "/products/99999999999999999999", "/products/"}) {
    auto req = make(Method::kGet, bad);
    auto m = r.match(req);
    EXPECT_EQ(m.route, nullptr) << bad;
    EXPECT_TRUE(m.allow.empty()) << bad;
  }
  auto req = make(Method::kGet, "/products/-7");
  ASSERT_NE(r.match(req).route, nullptr);
  EXPECT_EQ(req.param_int("productId"), -7);
}

TEST(Router, UnknownPathIsNotFound) {
  Router r = albums_router();
  for (const char* path : {"/", "/album", "/albums/1/2", "/albums/", "//albums", "albums"}) {
    auto req = make(Method::kGet, path);
    auto m = r.match(req);
    EXPECT_EQ(m.route, nullptr) << path;
    EXPECT_TRUE(m.allow.empty()) << path;
  }
}

TEST(Router, WrongMethodListsAllowedMethods) {
  Router r = albums_router();
  auto req = make(Method::kDelete, "/albums");
  auto m = r.match(req);
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allow, "GET, HEAD, POST");
  auto req2 = make(Method::kGet, "/products/3/details");
  EXPECT_EQ(r.match(req2).allow, "POST");
}

TEST(Router, HeadIsServedByGet) {
  Router r = albums_router();
  auto req = make(Method::kHead, "/albums/1");
  auto m = r.match(req);
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->method, Method::kGet);
}

TEST(Router, RejectsMalformedAndDuplicateTemplates) {
  Router r;
  r.get("/a/{id}", ok_handler(""));
  EXPECT_THROW(r.get("/a/{id}", ok_handler("")), std::invalid_argument);
  EXPECT_THROW(r.get("no-slash", ok_handler("")), std::invalid_argument);
  EXPECT_THROW(r.get("/a/{}", ok_handler("")), std::invalid_argument);
  EXPECT_THROW(r.get("/a/{id:float}", ok_handler("")), std::invalid_argument);
  EXPECT_THROW(r.get("/a/x{id}", ok_handler("")), std::invalid_argument);
}

TEST(Router, LiteralAndParameterRoutesCoexist) {
  Router r;
  r.get("/albums/new", ok_handler("new"));
  r.get("/albums/{id}", ok_handler("one"));
  auto a = make(Method::kGet, "/albums/new");
  EXPECT_EQ(r.match(a).route->pattern, "/albums/new");
  auto b = make(Method::kGet, "/albums/7");
  EXPECT_EQ(r.match(b).route->pattern, "/albums/{id}");
}
