#include "services/wordcount/words.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <random>

#include <fmt/format.h>

namespace scalelab::wordcount {
namespace {

// 0: separator; otherwise the lowercased byte.
constexpr std::array<char, 256> make_table() {
  std::array<char, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = static_cast<char>(c);
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = static_cast<char>(c - 'A' + 'a');
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<char>(c);
  t['\''] = '\'';
  return t;
}
constexpr auto kTable = make_table();

bool is_word_byte(char c) { return kTable[static_cast<unsigned char>(c)] != 0; }

}  // namespace

void count_words(std::string_view text, Counts& counts) {
  std::string word;
  word.reserve(64);
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    while (p < end && !is_word_byte(*p)) ++p;
    word.clear();
    while (p < end) {
      char c = kTable[static_cast<unsigned char>(*p)];
      if (!c) break;
      word.push_back(c);
      ++p;
    }
    std::size_t b = word.find_first_not_of('\'');
    if (b == std::string::npos) continue;
    std::size_t e = word.find_last_not_of('\'');
    std::string_view w(word.data() + b, e - b + 1);
    auto it = counts.find(w);
    if (it != counts.end()) ++it->second;
    else counts.emplace(std::string(w), 1);
  }
}

Counts count_words(std::string_view text) {
  Counts c;
  count_words(text, c);
  return c;
}

std::uint64_t total_words(const Counts& counts) {
  std::uint64_t n = 0;
  for (const auto& [w, c] : counts) n += c;
  return n;
}

std::vector<std::string_view> split_chunks(std::string_view text, std::size_t chunk_bytes) {
  chunk_bytes = std::max<std::size_t>(chunk_bytes, 1);
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t cut = std::min(text.size(), start + chunk_bytes);
    while (cut < text.size() && is_word_byte(text[cut]) && is_word_byte(text[cut - 1])) ++cut;
    out.push_back(text.substr(start, cut - start));
    start = cut;
  }
  return out;
}

std::string encode_counts(const Counts& counts) {
  std::string out;
  out.reserve(counts.size() * 12);
  char buf[24];
  for (const auto& [w, c] : counts) {
    out += w;
    out.push_back(' ');
    auto r = std::to_chars(buf, buf + sizeof buf, c);
    out.append(buf, r.ptr);
    out.push_back('\n');
  }
  return out;
}

namespace {

template <typename F>
Status parse_lines(std::string_view text, F&& each) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    std::size_t sp = line.rfind(' ');
    std::uint64_t c = 0;
    if (sp == std::string_view::npos || sp == 0 ||
        std::from_chars(line.data() + sp + 1, line.data() + line.size(), c).ec != std::errc()) {
      return Error{ErrorKind::kProtocol, fmt::format("bad count line '{}'", line.substr(0, 60))};
    }
    each(line.substr(0, sp), c);
  }
  return {};
}

}  // namespace

Result<Counts> decode_counts(std::string_view text) {
  Counts out;
  auto s = parse_lines(text, [&](std::string_view w, std::uint64_t c) { out[std::string(w)] += c; });
  if (!s) return s.error();
  return out;
}

void merge_counts(Counts& into, std::string_view encoded) {
  (void)parse_lines(encoded, [&](std::string_view w, std::uint64_t c) {
    auto it = into.find(w);
    if (it != into.end()) it->second += c;
    else into.emplace(std::string(w), c);
  });
}

namespace {
std::vector<std::pair<std::string, std::uint64_t>> sorted(const Counts& counts) {
  std::vector<std::pair<std::string, std::uint64_t>> v(counts.begin(), counts.end());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  return v;
}
}  // namespace

std::vector<std::pair<std::string, std::uint64_t>> top_words(const Counts& counts, std::size_t n) {
  std::vector<std::pair<std::string, std::uint64_t>> v(counts.begin(), counts.end());
  auto better = [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; };
  n = std::min(n, v.size());
  std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n), v.end(), better);
  v.resize(n);
  return v;
}

std::string counts_csv(const Counts& counts) {
  std::string out = "word,count\n";
  for (const auto& [w, c] : sorted(counts)) {
    // Words are letters, digits and apostrophes: no quoting needed.
    out += w;
    out.push_back(',');
    out += std::to_string(c);
    out.push_back('\n');
  }
  return out;
}

std::string generate_zipf_text(std::size_t bytes, std::uint64_t seed, std::size_t vocabulary, double s) {
  std::mt19937_64 rng(seed);
  vocabulary = std::max<std::size_t>(vocabulary, 1);
  // Made-up words: 1-12 letters, some with an apostrophe.
  static constexpr std::string_view kLetters = "etaoinshrdlcumwfgypbvkjxqz";
  std::vector<std::string> words;
  words.reserve(vocabulary);
  {
    std::unordered_map<std::string, bool> seen;
    std::geometric_distribution<int> len_extra(0.35);
    std::uniform_int_distribution<std::size_t> letter(0, 25);
    std::uniform_int_distribution<int> pct(0, 99);
    while (words.size() < vocabulary) {
      int len = 1 + std::min(11, len_extra(rng));
      std::string w;
      for (int i = 0; i < len; ++i) w.push_back(kLetters[std::min<std::size_t>(letter(rng), letter(rng))]);
      if (len > 3 && pct(rng) < 3) w.insert(w.size() - 1, 1, '\'');
      if (seen.emplace(w, true).second) words.push_back(std::move(w));
    }
  }
  // Cumulative Zipf weights, sampled by binary search.
  std::vector<double> cdf(vocabulary);
  double sum = 0;
  for (std::size_t i = 0; i < vocabulary; ++i) {
    sum += 1.0 / std::pow(static_cast<double>(i + 1), s);
    cdf[i] = sum;
  }
  std::uniform_real_distribution<double> u(0, sum);
  std::uniform_int_distribution<int> pct(0, 99);
  std::string out;
  out.reserve(bytes + 64);
  int in_line = 0;
  bool sentence_start = true;
  while (out.size() < bytes) {
    std::size_t i = static_cast<std::size_t>(std::lower_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin());
    std::string w = words[std::min(i, vocabulary - 1)];
    if (sentence_start || pct(rng) < 2) w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
    sentence_start = false;
    out += w;
    int p = pct(rng);
    if (p < 6) {
      out += ".";
      sentence_start = true;
    } else if (p < 12) {
      out += ",";
    } else if (p < 13) {
      out += " --";
    }
    if (++in_line >= 12) {
      out.push_back('\n');
      in_line = 0;
    } else {
      out.push_back(' ');
    }
  }
  return out;
}

}  // namespace scalelab::wordcount
