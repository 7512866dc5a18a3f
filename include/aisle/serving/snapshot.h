// File: aisle/serving/snapshot.h
//
// Everything a request reads that changes only by deployment: the catalog,
// the ANN index, offline co-visitation tables, item features, models, curated
// campaign sets and the pipeline configuration. A Snapshot is immutable once
// handed to the engine; the engine validates it, compiles its pipelines and
// swaps it in atomically, so a request sees one snapshot from start to end.
//
//   auto s = std::make_shared<aisle::serving::Snapshot>();
//   s->version = "2026-11-23T04:00Z";
//   s->catalog = std::move(catalog);
//   s->ann = std::move(index);
//   s->models["ctr"] = aisle::serving::ModelFactory::Gbdt(std::move(gbdt));
//   s->pipeline = std::move(config);
//   AISLE_RETURN_IF_ERROR(engine->Swap(std::move(s)));
//
// Snapshot is immutable after the swap: thread-safe for reads.
#ifndef AISLE_SERVING_SNAPSHOT_H_
#define AISLE_SERVING_SNAPSHOT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "aisle/catalog/catalog.h"
#include "aisle/features/item_feature_store.h"
#include "aisle/ranking/gbdt_model.h"
#include "aisle/ranking/linear_model.h"
#include "aisle/ranking/ranker.h"
#include "aisle/retrieval/ann_index.h"
#include "aisle/retrieval/covisitation.h"
#include "aisle/retrieval/interaction.h"
#include "aisle/serving/pipeline_config.h"

namespace aisle::serving {

// A model in a snapshot, not yet bound to a feature layout. The engine binds
// it to the pipeline's feature schema when it compiles the snapshot, so a
// model that needs a feature the schema lacks fails the swap, not a request.
// Thread-safe.
class ModelFactory {
 public:
  virtual ~ModelFactory() = default;
  virtual absl::StatusOr<std::shared_ptr<const ranking::Ranker>> Bind(
      absl::Span<const std::string> layout) const = 0;

  static std::shared_ptr<const ModelFactory> Gbdt(ranking::GbdtModel model);
  static std::shared_ptr<const ModelFactory> Linear(ranking::LinearModel model);
  // An already bound ranker (a host's own); Bind() checks its width.
  static std::shared_ptr<const ModelFactory> Bound(std::shared_ptr<const ranking::Ranker> ranker);
};

struct Snapshot {
  // Goes into every response and impression record.
  std::string version;
  std::shared_ptr<const catalog::Catalog> catalog;
  // Optional: needed by kAnn sources.
  std::shared_ptr<const retrieval::AnnIndex> ann;
  // Optional interaction log the live co-visitation and popularity indexes
  // start from (the engine then applies events on top).
  std::vector<retrieval::Interaction> warm_interactions;
  // Optional item feature columns; the engine adds built-in columns derived
  // from the catalog ("price", "log_price", "age_days", "stock") when absent.
  std::shared_ptr<const features::ItemFeatureStore> item_features;
  // Models by name, as surfaces refer to them.
  absl::flat_hash_map<std::string, std::shared_ptr<const ModelFactory>> models;
  // Curated item lists by name (external ids) for the campaign level.
  absl::flat_hash_map<std::string, std::vector<std::string>> campaign_sets;
  PipelineConfig pipeline;
};

}  // namespace aisle::serving

#endif  // AISLE_SERVING_SNAPSHOT_H_
