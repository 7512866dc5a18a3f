// Private to the serving engine: the fallback levels as a table of level
// servers. The engine walks a surface's ladder from the level the plan starts
// at and asks each level's server to serve; a level that cannot says why
// (its LevelOutcome), and the walk steps down.
//
//   personalized      the plan's pipeline: the typed stages of stages.h
//   segment           popular in the request's (or its context's) segment
//   category_popular  popular in the categories of the seeds and the page
//   global_popular    popular overall
//   campaign          the surface's curated set
//   lexical           a search's own lexical order
#ifndef AISLE_SRC_SERVING_LEVELS_H_
#define AISLE_SRC_SERVING_LEVELS_H_

#include "aisle/serving/fallback.h"
#include "serving/request_state.h"

namespace aisle::serving::internal {

class LevelServer {
 public:
  virtual ~LevelServer() = default;
  // Serves into st.scratch.list (at most st.k items) or says why not.
  virtual LevelOutcome Serve(RequestState& st) const = 0;
};

// The server of `level` (a static table; never null).
const LevelServer& LevelServerFor(FallbackLevel level);

}  // namespace aisle::serving::internal

#endif  // AISLE_SRC_SERVING_LEVELS_H_
