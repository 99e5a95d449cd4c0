// Router: maps method + path templates to handlers.
// Templates are literal segments and parameters: "/albums/{id}" (any one
// segment) or "/products/{id:int}" (a base-10 integer that fits int64; any
// other segment does not match, so the request gets 404). An unknown path is
// 404; a known path with another method is 405 with an Allow header. HEAD is
// served by the GET handler (the body is dropped by the server).
// Thread-safety: add routes before the server starts; match() is then const
// and safe from any thread.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "http/message.h"

namespace scalelab::http {

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

struct Route {
  struct Segment {
    std::string text;  // literal text, or the parameter name
    bool is_param = false;
    bool is_int = false;
  };
  Method method;
  std::string pattern;  // as registered, used as the metrics label
  std::vector<Segment> segments;
  std::vector<std::string> param_names;
  Handler handler;
  std::size_t index = 0;  // position in Router::routes()
};

struct Match {
  const Route* route = nullptr;  // null: see allow
  std::string allow;             // non-empty when the path matched other methods (405)
};

class Router {
 public:
  // Throws std::invalid_argument on a malformed template or a duplicate route.
  void add(Method method, std::string_view pattern, Handler handler);
  void get(std::string_view p, Handler h) { add(Method::kGet, p, std::move(h)); }
  void post(std::string_view p, Handler h) { add(Method::kPost, p, std::move(h)); }
  void put(std::string_view p, Handler h) { add(Method::kPut, p, std::move(h)); }
  void del(std::string_view p, Handler h) { add(Method::kDelete, p, std::move(h)); }

  // Finds the route for request.method()/path() and binds its parameters into
  // the request. Returns a null route and an Allow list for 405, or neither for 404.
  // A path parameter with a malformed percent-escape does not match.
  Match match(Request& request) const;

  bool has(Method method, std::string_view pattern) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace scalelab::http
