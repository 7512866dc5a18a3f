// Engine::AssembleFeatures returns exactly the rows the ranker scored.
#include <cmath>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "aisle/serving/engine.h"
#include "serving/test_storefront.h"
#include "gtest/gtest.h"

namespace aisle::serving {
namespace {

// Records the matrix it is given and scores row r with r, so a served item's
// score names the row it came from.
class RecordingRanker final : public ranking::Ranker {
 public:
  explicit RecordingRanker(size_t width) : width_(width) {}
  absl::string_view version() const override { return "recording"; }
  size_t num_features() const override { return width_; }
  absl::Status Score(MatrixView f, absl::Span<float> scores) const override {
    std::lock_guard<std::mutex> l(mu_);
    seen_.assign(f.data, f.data + f.rows * f.cols);
    cols_ = f.cols;
    for (size_t r = 0; r < f.rows; ++r) scores[r] = static_cast<float>(r);
    return absl::OkStatus();
  }
  std::vector<float> Row(size_t r) const {
    std::lock_guard<std::mutex> l(mu_);
    return std::vector<float>(seen_.begin() + r * cols_, seen_.begin() + (r + 1) * cols_);
  }

 private:
  size_t width_;
  mutable std::mutex mu_;
  mutable std::vector<float> seen_;
  mutable size_t cols_ = 0;
};

bool SameFloat(float a, float b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

TEST(FeatureParity, AssembledRowsEqualWhatTheRankerScored) {
  auto snap = testing::MakeSnapshot("v1");
  auto ranker = std::make_shared<RecordingRanker>(9);
  snap->models["price"] = ModelFactory::Bound(ranker);
  auto engine = Engine::Create(snap);
  ASSERT_TRUE(engine.ok()) << engine.status();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE((*engine)
                    ->ApplyInteraction("u1", "s1", "sku-5", retrieval::InteractionType::kPurchase,
                                       absl::Now())
                    .ok());
  }
  Request r;
  r.surface = "home";
  r.user_id = "u1";
  r.seed_items = {"sku-12"};
  r.k = 8;
  auto resp = (*engine)->Recommend(r);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->ranker_version, "recording");
  ASSERT_EQ(resp->items.size(), 8u);

  std::vector<std::string> ids;
  for (const auto& item : resp->items) ids.emplace_back(item.id);
  ids.push_back("sku-39");  // not retrieved for this request: retrieval features missing
  auto m = (*engine)->AssembleFeatures(r, ids);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->rows, ids.size());
  ASSERT_EQ(m->cols, 9u);
  ASSERT_EQ(m->feature_names.size(), 9u);
  EXPECT_EQ(m->feature_names[0], "ann_score");
  for (size_t i = 0; i < resp->items.size(); ++i) {
    EXPECT_TRUE(m->retrieved[i]);
    const std::vector<float> served = ranker->Row(static_cast<size_t>(resp->items[i].score));
    for (size_t c = 0; c < m->cols; ++c) {
      EXPECT_TRUE(SameFloat(m->values[i * m->cols + c], served[c]))
          << ids[i] << " feature " << m->feature_names[c] << ": assembled "
          << m->values[i * m->cols + c] << " served " << served[c];
    }
  }
  // The user's history is in the user features of every row.
  size_t purchases = 0;
  for (size_t c = 0; c < m->cols; ++c) purchases += m->feature_names[c] == "user_purchases" ? c : 0;
  ASSERT_GT(purchases, 0u);
  EXPECT_EQ(m->values[purchases], 3.0f);
  const size_t last = ids.size() - 1;
  EXPECT_FALSE(m->retrieved[last]);
  EXPECT_TRUE(std::isnan(m->values[last * m->cols + 0]))
      << "ann_score of an item ANN did not propose";

  EXPECT_EQ((*engine)->AssembleFeatures(r, {"ghost"}).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace aisle::serving
