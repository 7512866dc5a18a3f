// Private to the serving engine: the route stage. A request is routed before
// anything else runs, into a Plan (request_state.h): which pipeline serves it
// (the surface, an experiment arm's pipeline or its cold-start tier's), which
// ranker, which parameters (source quotas, ANN breadth, MMR, exploration,
// budget), its tier and where the fallback ladder starts. The plan is what
// runs; nothing downstream re-decides it.
#ifndef AISLE_SRC_SERVING_ROUTE_H_
#define AISLE_SRC_SERVING_ROUTE_H_

#include <cstdint>

#include "aisle/serving/overload_controller.h"
#include "serving/request_state.h"

namespace aisle::serving::internal {

// Resolves the request's seed, cart, bought and search ids into the scratch
// lists (each item once; the cart joins the seeds). Returns how many ids the
// catalog does not know; repeats are counted in *duplicates.
uint32_t ResolveItems(RequestState& st, uint32_t* duplicates);

// Fills st.plan for a request to `requested`, with the overload controller's
// `shed` plan, and the routing fields of st.response (experiments, holdout,
// tier and why, pipeline, parameters).
void Route(RequestState& st, const CompiledSurface& requested, const ShedPlan& shed);

}  // namespace aisle::serving::internal

#endif  // AISLE_SRC_SERVING_ROUTE_H_
