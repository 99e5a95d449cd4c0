#include "http/message.h"

#include <map>

#include <gtest/gtest.h>

using namespace scalelab::http;

namespace {

using Headers = std::map<std::string, std::string, std::less<>>;

std::string_view lookup(const void* msg, std::string_view name) {
  const auto& h = *static_cast<const Headers*>(msg);
  auto it = h.find(name);
  return it == h.end() ? std::string_view{} : std::string_view(it->second);
}

Request post(const Headers& headers, std::string_view body) {
  return Request(Method::kPost, "POST", "/x", body, "rid", &headers, &lookup);
}

}  // namespace

TEST(Request, JsonBodyParses) {
  Headers h{{"Content-Type", "application/json; charset=utf-8"}};
  auto v = post(h, R"({"a":1})").json();
  EXPECT_EQ(v.at("a").as_int64(), 1);
}

TEST(Request, VendorJsonTypeIsAccepted) {
  Headers h{{"Content-Type", "application/problem+json"}};
  EXPECT_NO_THROW(post(h, "{}").json());
}

TEST(Request, WrongContentTypeIs415) {
  Headers h{{"Content-Type", "text/plain"}};
  try {
    post(h, "{}").json();
    FAIL() << "expected HttpError";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.status(), 415u);
    EXPECT_EQ(e.code(), "UNSUPPORTED_MEDIA_TYPE");
  }
}

TEST(Request, MissingContentTypeIs415) {
  Headers h;
  EXPECT_THROW(post(h, "{}").json(), HttpError);
}

TEST(Request, MalformedJsonIs400) {
  Headers h{{"Content-Type", "application/json"}};
  for (const char* body : {"", "{", "{\"a\":}", "[1,2", "nul", "{} trailing"}) {
    try {
      post(h, body).json();
      FAIL() << "expected HttpError for " << body;
    } catch (const HttpError& e) {
      EXPECT_EQ(e.status(), 400u) << body;
      EXPECT_EQ(e.code(), "INVALID_INPUT");
    }
  }
}

TEST(Request, QueryParametersAreDecoded) {
  Request r(Method::kGet, "GET", "/s?q=blue+train&x=%41%42&flag", "", "rid", nullptr, nullptr);
  EXPECT_EQ(r.query_param("q"), "blue train");
  EXPECT_EQ(r.query_param("x"), "AB");
  EXPECT_EQ(r.query_param("flag"), "");
  EXPECT_EQ(r.query_param("missing"), std::nullopt);
}

TEST(Request, MalformedQueryEscapeIs400) {
  Request r(Method::kGet, "GET", "/s?q=%zz", "", "rid", nullptr, nullptr);
  EXPECT_THROW(r.query_param("q"), HttpError);
}

TEST(Response, ErrorHasCodeAndMessage) {
  auto r = Response::error(404, code::kNotFound, "album \"9\" not found");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, R"({"error":"NOT_FOUND","message":"album \"9\" not found"})");
}

TEST(PercentDecode, HandlesEdgeCases) {
  EXPECT_EQ(percent_decode("%41", false), "A");
  EXPECT_EQ(percent_decode("a+b", false), "a+b");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  EXPECT_EQ(percent_decode("%", false), std::nullopt);
  EXPECT_EQ(percent_decode("%4", false), std::nullopt);
  EXPECT_EQ(percent_decode("%g1", false), std::nullopt);
}
