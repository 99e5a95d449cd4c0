#include "load/template.h"

#include <cctype>
#include <charconv>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include "core/json.h"

namespace scalelab::load {

namespace {

std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == ',')) ++i;
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != ',') ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool parse_int(const std::string& s, std::int64_t& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

bool is_name(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
  return !std::isdigit(static_cast<unsigned char>(s[0]));
}

}  // namespace

const std::string* UserContext::var(std::string_view name) const {
  for (const auto& [k, v] : vars)
    if (k == name) return &v;
  return nullptr;
}

void UserContext::set_var(std::string_view name, std::string value) {
  for (auto& [k, v] : vars)
    if (k == name) {
      v = std::move(value);
      return;
    }
  vars.emplace_back(std::string(name), std::move(value));
}

Result<Template> Template::compile(std::string_view text) {
  Template t;
  t.source_ = std::string(text);
  std::size_t pos = 0;
  auto add_literal = [&](std::string_view lit) {
    if (lit.empty()) return;
    if (!t.parts_.empty() && t.parts_.back().kind == Part::Kind::kLiteral)
      t.parts_.back().text += lit;
    else
      t.parts_.push_back(Part{Part::Kind::kLiteral, std::string(lit)});
  };
  while (pos < text.size()) {
    const auto open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      add_literal(text.substr(pos));
      break;
    }
    add_literal(text.substr(pos, open - pos));
    const auto close = text.find("}}", open + 2);
    if (close == std::string_view::npos)
      return Error{ErrorKind::kInvalidInput, fmt::format("'{{{{' at offset {} is never closed with '}}}}'", open)};
    const auto words = split_words(text.substr(open + 2, close - open - 2));
    if (words.empty()) return Error{ErrorKind::kInvalidInput, "empty template expression '{{}}'"};
    const std::string& fn = words[0];
    Part p;
    if (fn == "randint") {
      if (words.size() != 3 || !parse_int(words[1], p.lo) || !parse_int(words[2], p.hi) || p.lo > p.hi)
        return Error{ErrorKind::kInvalidInput,
                     "randint takes two integers LO HI with LO <= HI, e.g. {{randint 1 100}}"};
      p.kind = Part::Kind::kRandInt;
    } else if (fn == "choice") {
      if (words.size() < 2)
        return Error{ErrorKind::kInvalidInput, "choice takes one or more words, e.g. {{choice red green}}"};
      p.kind = Part::Kind::kChoice;
      p.choices.assign(words.begin() + 1, words.end());
    } else if (fn == "user" || fn == "user_id") {
      p.kind = Part::Kind::kUser;
    } else if (fn == "seq") {
      p.kind = Part::Kind::kSeq;
    } else if (words.size() == 1 && is_name(fn)) {
      p.kind = Part::Kind::kVar;
      p.text = fn;
    } else {
      return Error{ErrorKind::kInvalidInput,
                   fmt::format("unknown template expression '{{{{{}}}}}' (use randint, choice, user, seq "
                               "or a captured variable's name)",
                               text.substr(open + 2, close - open - 2))};
    }
    if (words.size() > 1 && (p.kind == Part::Kind::kUser || p.kind == Part::Kind::kSeq))
      return Error{ErrorKind::kInvalidInput, fmt::format("'{}' takes no arguments", fn)};
    t.parts_.push_back(std::move(p));
    pos = close + 2;
  }
  return t;
}

Status Template::render(UserContext& ctx, std::string& out) const {
  for (const auto& p : parts_) {
    switch (p.kind) {
      case Part::Kind::kLiteral: out += p.text; break;
      case Part::Kind::kRandInt: {
        std::uniform_int_distribution<std::int64_t> d(p.lo, p.hi);
        fmt::format_to(std::back_inserter(out), "{}", d(ctx.rng));
        break;
      }
      case Part::Kind::kChoice: {
        std::uniform_int_distribution<std::size_t> d(0, p.choices.size() - 1);
        out += p.choices[d(ctx.rng)];
        break;
      }
      case Part::Kind::kUser: fmt::format_to(std::back_inserter(out), "{}", ctx.user); break;
      case Part::Kind::kSeq:
        if (ctx.shared_seq) {
          fmt::format_to(std::back_inserter(out), "{}", ctx.shared_seq->fetch_add(1, std::memory_order_relaxed) + 1);
        } else {
          fmt::format_to(std::back_inserter(out), "{}", ctx.seq_next);
          ctx.seq_next += ctx.seq_step;
        }
        break;
      case Part::Kind::kVar: {
        const std::string* v = ctx.var(p.text);
        if (!v) return Error{ErrorKind::kInvalidInput, fmt::format("variable '{}' not captured yet", p.text)};
        out += *v;
        break;
      }
    }
  }
  return {};
}

Result<std::string> Template::render(UserContext& ctx) const {
  std::string out;
  if (auto st = render(ctx, out); !st) return st.error();
  return out;
}

std::vector<std::string> Template::variables() const {
  std::vector<std::string> out;
  for (const auto& p : parts_)
    if (p.kind == Part::Kind::kVar) out.push_back(p.text);
  return out;
}

Result<std::string> json_capture(std::string_view body, std::string_view path) {
  boost::system::error_code ec;
  auto doc = boost::json::parse(body, ec);
  if (ec) return Error{ErrorKind::kProtocol, "response is not JSON"};
  if (path.starts_with("$.")) path.remove_prefix(2);
  if (path == "$") path = "";
  const boost::json::value* cur = &doc;
  std::size_t pos = 0;
  while (pos < path.size()) {
    auto dot = path.find('.', pos);
    if (dot == std::string_view::npos) dot = path.size();
    const auto key = path.substr(pos, dot - pos);
    if (cur->is_object()) {
      const auto* next = cur->as_object().if_contains(key);
      if (!next) return Error{ErrorKind::kNotFound, fmt::format("no '{}' in the response", path)};
      cur = next;
    } else if (cur->is_array()) {
      std::size_t i = 0;
      auto [p, e] = std::from_chars(key.data(), key.data() + key.size(), i);
      if (e != std::errc() || p != key.data() + key.size() || i >= cur->as_array().size())
        return Error{ErrorKind::kNotFound, fmt::format("no '{}' in the response", path)};
      cur = &cur->as_array()[i];
    } else {
      return Error{ErrorKind::kNotFound, fmt::format("no '{}' in the response", path)};
    }
    pos = dot + 1;
  }
  if (cur->is_string()) return std::string(cur->as_string());
  return to_json(*cur);
}

}  // namespace scalelab::load
