# The serving module: the engine and everything of the request path that is
# not a stage of its own module (request, response, pipeline builder,
# snapshot compilation, routing into a plan, the stage framework, fallback
# levels, breakers, overload control, runtime switches, isolation). It
# composes every other module; headers in include/aisle/serving/, sources and
# private headers in src/serving/.
aisle_module(serving DEPS aisle_core aisle_catalog aisle_retrieval aisle_features aisle_ranking
  aisle_policy aisle_routing absl::flat_hash_map absl::synchronization absl::strings
  absl::str_format absl::time absl::any_invocable Threads::Threads)
