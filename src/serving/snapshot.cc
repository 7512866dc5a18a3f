#include "aisle/serving/snapshot.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "aisle/core/status_macros.h"
#include "aisle/ranking/gbdt_ranker.h"
#include "aisle/ranking/linear_ranker.h"

namespace aisle::serving {
namespace {

class GbdtFactory final : public ModelFactory {
 public:
  explicit GbdtFactory(ranking::GbdtModel m) : model_(std::move(m)) {}
  absl::StatusOr<std::shared_ptr<const ranking::Ranker>> Bind(
      absl::Span<const std::string> layout) const override {
    AISLE_ASSIGN_OR_RETURN(std::unique_ptr<ranking::GbdtRanker> r,
                           ranking::GbdtRanker::BindByName(model_, layout));
    return std::shared_ptr<const ranking::Ranker>(std::move(r));
  }

 private:
  ranking::GbdtModel model_;
};

class LinearFactory final : public ModelFactory {
 public:
  explicit LinearFactory(ranking::LinearModel m) : model_(std::move(m)) {}
  absl::StatusOr<std::shared_ptr<const ranking::Ranker>> Bind(
      absl::Span<const std::string> layout) const override {
    AISLE_ASSIGN_OR_RETURN(std::unique_ptr<ranking::LinearRanker> r,
                           ranking::LinearRanker::Create(model_, layout));
    return std::shared_ptr<const ranking::Ranker>(std::move(r));
  }

 private:
  ranking::LinearModel model_;
};

class BoundFactory final : public ModelFactory {
 public:
  explicit BoundFactory(std::shared_ptr<const ranking::Ranker> r) : ranker_(std::move(r)) {}
  absl::StatusOr<std::shared_ptr<const ranking::Ranker>> Bind(
      absl::Span<const std::string> layout) const override {
    if (ranker_ == nullptr) return absl::InvalidArgumentError("bound ranker is null");
    if (ranker_->num_features() != layout.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("ranker '", ranker_->version(), "' expects ", ranker_->num_features(),
                       " features but the schema has ", layout.size()));
    }
    return ranker_;
  }

 private:
  std::shared_ptr<const ranking::Ranker> ranker_;
};

}  // namespace

std::shared_ptr<const ModelFactory> ModelFactory::Gbdt(ranking::GbdtModel model) {
  return std::make_shared<GbdtFactory>(std::move(model));
}
std::shared_ptr<const ModelFactory> ModelFactory::Linear(ranking::LinearModel model) {
  return std::make_shared<LinearFactory>(std::move(model));
}
std::shared_ptr<const ModelFactory> ModelFactory::Bound(
    std::shared_ptr<const ranking::Ranker> ranker) {
  return std::make_shared<BoundFactory>(std::move(ranker));
}

}  // namespace aisle::serving
