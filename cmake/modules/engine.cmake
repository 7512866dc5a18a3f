# The serving engine: request path, pipeline compilation and the engine
# (headers in include/aisle/serving/, sources in src/engine/). It composes
# every other module.
aisle_module(engine DEPS aisle_serving aisle_catalog aisle_retrieval aisle_features aisle_ranking
  aisle_policy aisle_routing absl::flat_hash_map absl::synchronization absl::strings Threads::Threads)
