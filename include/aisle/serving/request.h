// File: aisle/serving/request.h
//
// One recommendation or rerank request, as the host builds it. Items are
// named by their external ids; the engine resolves them against the snapshot
// it serves the request from (unknown ids are counted and reported, never an
// error: a product page for an item that was just delisted still gets a rail).
//
//   aisle::serving::Request r;
//   r.surface = "product_page";
//   r.user_id = "u-1842";
//   r.session_id = "s-99";
//   r.seed_items = {"sku-123"};              // the product being viewed
//   r.context = {{"device", "mobile"}, {"geo", "DE"}};
//   r.k = 12;
//   r.budget = absl::Milliseconds(15);       // or r.deadline = an absolute one
//
// Request is a plain value type: thread-compatible.
#ifndef AISLE_SERVING_REQUEST_H_
#define AISLE_SERVING_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "aisle/core/deadline.h"

namespace aisle::serving {

struct Request {
  // The surface's name as configured in the pipeline ("home", "product_page",
  // "cart", "search", "email", or one the host defines).
  std::string surface;
  // Echoed in the response and the impression record; generated when empty.
  std::string request_id;
  // Either or both may be empty (an anonymous visitor).
  std::string user_id;
  std::string session_id;
  // Context key/values: device, geo, referrer, campaign, ... Keys named in the
  // feature schema's context group become features; "category" scopes the
  // category-popular fallback level.
  std::vector<std::pair<std::string, std::string>> context;
  // Items the request is about (the viewed product, recently viewed items).
  std::vector<std::string> seed_items;
  // The cart: seeds for upsell, and never recommended back.
  std::vector<std::string> cart_items;
  // Already bought: never recommended.
  std::vector<std::string> bought_items;
  // For search rerank: the query's candidates in lexical (retrieval) order.
  std::vector<std::string> search_candidates;
  // An optional user or query embedding (the catalog's dimension).
  std::vector<float> user_vector;
  // The user's segment for the segment-popular level (0 = none).
  uint32_t segment = 0;
  // Items wanted; 0 = the surface's default.
  uint32_t k = 0;
  // Time budget from the moment Recommend() is called; zero = the surface's
  // default. `deadline`, when set, wins.
  absl::Duration budget = absl::ZeroDuration();
  std::optional<Deadline> deadline;
};

}  // namespace aisle::serving

#endif  // AISLE_SERVING_REQUEST_H_
