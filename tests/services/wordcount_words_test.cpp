#include <gtest/gtest.h>

#include "services/wordcount/words.h"

namespace scalelab::wordcount {
namespace {

TEST(CountWords, LowercasesAndKeepsInnerApostrophes) {
  auto c = count_words("Don't stop. DON'T! don't-stop 'tis o'clock''");
  EXPECT_EQ(c["don't"], 3u);
  EXPECT_EQ(c["stop"], 2u);
  EXPECT_EQ(c["tis"], 1u);
  EXPECT_EQ(c["o'clock"], 1u);
  EXPECT_EQ(c.size(), 4u);
}

TEST(CountWords, DigitsAreWordCharactersEverythingElseSeparates) {
  auto c = count_words("abc123 x_y caf\xc3\xa9 2024-01-02\ttab\nnew");
  EXPECT_EQ(c["abc123"], 1u);
  EXPECT_EQ(c["x"], 1u);
  EXPECT_EQ(c["y"], 1u);
  EXPECT_EQ(c["caf"], 1u);  // non-ASCII bytes separate
  EXPECT_EQ(c["2024"], 1u);
  EXPECT_EQ(c["01"], 1u);
  EXPECT_EQ(c["tab"], 1u);
  EXPECT_EQ(c["new"], 1u);
  EXPECT_EQ(total_words(c), 9u);
}

TEST(CountWords, RunsOfOnlyApostrophesAreNoWords) {
  auto c = count_words("'' ' ''' -- !!");
  EXPECT_TRUE(c.empty());
}

TEST(SplitChunks, NeverCutsAWordAndCoversTheText) {
  std::string text = generate_zipf_text(50'000, 3);
  auto whole = count_words(text);
  for (std::size_t size : {1u, 7u, 100u, 4096u, 100000u}) {
    auto chunks = split_chunks(text, size);
    std::size_t covered = 0;
    Counts merged;
    for (auto c : chunks) {
      covered += c.size();
      count_words(c, merged);
    }
    EXPECT_EQ(covered, text.size());
    EXPECT_EQ(merged, whole) << "chunk size " << size;
  }
}

TEST(EncodeCounts, RoundTripsAndMerges) {
  auto c = count_words("a b b c c c it's");
  auto back = decode_counts(encode_counts(c));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, c);
  Counts m = c;
  merge_counts(m, encode_counts(c));
  EXPECT_EQ(m["c"], 6u);
  EXPECT_FALSE(decode_counts("word notanumber\n"));
}

TEST(TopWords, SortsByCountThenWord) {
  auto top = top_words(count_words("b a c c b c d"), 3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].first, "c");
  EXPECT_EQ(top[1].first, "b");
  EXPECT_EQ(top[2].first, "a");
  EXPECT_EQ(counts_csv(count_words("b a b")), "word,count\nb,2\na,1\n");
}

TEST(GenerateZipfText, SameSeedSameTextDifferentSeedDifferentText) {
  auto a = generate_zipf_text(20'000, 11);
  EXPECT_EQ(a, generate_zipf_text(20'000, 11));
  EXPECT_NE(a, generate_zipf_text(20'000, 12));
  EXPECT_GE(a.size(), 20'000u);
  // Zipf: the most frequent word is far more common than the 100th.
  auto top = top_words(count_words(generate_zipf_text(400'000, 5)), 100);
  ASSERT_EQ(top.size(), 100u);
  EXPECT_GT(top[0].second, 20 * top[99].second);
}

}  // namespace
}  // namespace scalelab::wordcount
