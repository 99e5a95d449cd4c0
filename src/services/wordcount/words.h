// Word counting for hw4, free of I/O.
// A word is a maximal run of ASCII letters, digits and apostrophes,
// lowercased, with leading and trailing apostrophes removed (a run of only
// apostrophes is no word); every other byte separates words.
// Thread-safety: plain functions and values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/result.h"

namespace scalelab::wordcount {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

using Counts = std::unordered_map<std::string, std::uint64_t, StringHash, std::equal_to<>>;

// Adds the words of text to counts.
void count_words(std::string_view text, Counts& counts);
Counts count_words(std::string_view text);

std::uint64_t total_words(const Counts& counts);

// Cuts text into pieces of about chunk_bytes (>= 1), never inside a word:
// a cut moves forward to the next separator byte.
std::vector<std::string_view> split_chunks(std::string_view text, std::size_t chunk_bytes);

// "word count\n" lines (words hold no spaces or newlines).
std::string encode_counts(const Counts& counts);
Result<Counts> decode_counts(std::string_view text);
void merge_counts(Counts& into, std::string_view encoded);

// The n most frequent, ties broken alphabetically.
std::vector<std::pair<std::string, std::uint64_t>> top_words(const Counts& counts, std::size_t n);
// All counts sorted by descending count then word, as CSV with header word,count.
std::string counts_csv(const Counts& counts);

// Synthetic text: `bytes` (about) of words drawn from a Zipf(s) distribution
// over a vocabulary of `vocabulary` made-up words, in lines of ~12 words with
// some punctuation and capitals; the same seed gives the same text.
std::string generate_zipf_text(std::size_t bytes, std::uint64_t seed, std::size_t vocabulary = 20'000,
                               double s = 1.07);

}  // namespace scalelab::wordcount
