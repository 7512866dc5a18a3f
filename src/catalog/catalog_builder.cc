#include "aisle/catalog/catalog_builder.h"

#include <cmath>
#include <exception>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "aisle/core/event_time.h"
#include "aisle/core/external_id.h"
#include "aisle/core/status_macros.h"

namespace aisle::catalog {
namespace {

constexpr uint32_t kNoNode = std::numeric_limits<uint32_t>::max();

std::string ItemName(const ItemSpec& item, size_t position) {
  if (item.id.empty()) return absl::StrCat("item #", position, " (empty id)");
  return absl::StrCat("item '", item.id, "'");
}

const char* NonFiniteName(float v) { return std::isnan(v) ? "NaN" : "Inf"; }

}  // namespace

CatalogBuilder::CatalogBuilder(CatalogBuilderOptions options)
    : options_(options), dim_(options.embedding_dim < -1 ? -1 : options.embedding_dim) {
  // expected_items is only a hint: a value beyond what a catalog can hold, or
  // than memory allows, pre-sizes nothing (a constructor cannot fail).
  const size_t n = options_.expected_items;
  if (n > 0 && n < size_t{kInvalidItem}) {
    try {
      catalog_.ids_.reserve(n);
      catalog_.titles_.reserve(n);
      catalog_.index_.reserve(n);
      catalog_.category_.reserve(n);
      catalog_.brand_.reserve(n);
      catalog_.price_.reserve(n);
      catalog_.stock_.reserve(n);
      catalog_.launch_micros_.reserve(n);
      catalog_.attr_offsets_.reserve(n + 1);
      if (dim_ > 0 && n <= (size_t{1} << 36) / size_t(dim_)) {
        catalog_.embeddings_.reserve(n * size_t(dim_));
      }
    } catch (const std::exception&) {
      catalog_ = Catalog();
    }
  }
}

CatalogBuilder::TempCategory CatalogBuilder::InternNode(TempCategory parent,
                                                        absl::string_view name) {
  auto it = node_by_key_.find(NodeKey{parent, name});
  if (it != node_by_key_.end()) return it->second;
  const TempCategory id = static_cast<TempCategory>(node_parent_.size());
  const absl::string_view kept = catalog_.arena_.Store(name);
  node_parent_.push_back(parent);
  node_name_.push_back(kept);
  node_by_key_.emplace(NodeKey{parent, kept}, id);
  return id;
}

absl::StatusOr<CatalogBuilder::TempCategory> CatalogBuilder::ResolveCategory(const ItemSpec& item) {
  const size_t position = size();
  if (!item.category_path.empty()) {
    for (size_t l = 0; l < item.category_path.size(); ++l) {
      const absl::string_view level = item.category_path[l];
      if (absl::StripAsciiWhitespace(level).empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(ItemName(item, position), ": category path level ", l + 1, " is empty"));
      }
      if (level.find('>') != absl::string_view::npos) {
        return absl::InvalidArgumentError(absl::StrCat(ItemName(item, position),
                                                       ": category level '", PrintableId(level),
                                                       "' contains the separator '>'"));
      }
      AISLE_RETURN_IF_ERROR(CheckExternalId(
          absl::StripAsciiWhitespace(level),
          absl::StrCat(ItemName(item, position), ": field 'category' level ", l + 1)));
    }
    TempCategory node = kNoNode;
    for (absl::string_view level : item.category_path) {
      node = InternNode(node, absl::StripAsciiWhitespace(level));
    }
    return node;
  }
  const absl::string_view raw = item.category;
  if (absl::StripAsciiWhitespace(raw).empty()) return kNoNode;
  auto cached = node_by_string_.find(raw);
  if (cached != node_by_string_.end()) return cached->second;

  levels_.clear();
  size_t start = 0;
  const char sep = options_.category_separator;
  while (true) {
    const size_t end = raw.find(sep, start);
    const absl::string_view level = absl::StripAsciiWhitespace(
        raw.substr(start, end == absl::string_view::npos ? absl::string_view::npos : end - start));
    if (level.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(ItemName(item, position), ": category '",
                                                     PrintableId(raw), "' has an empty level ",
                                                     levels_.size() + 1));
    }
    if (sep != '>' && level.find('>') != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          ItemName(item, position), ": category level '", PrintableId(level), "' contains '>'"));
    }
    AISLE_RETURN_IF_ERROR(CheckExternalId(
        level, absl::StrCat(ItemName(item, position), ": field 'category' level ",
                            levels_.size() + 1)));
    levels_.push_back(level);
    if (end == absl::string_view::npos) break;
    start = end + 1;
  }
  TempCategory node = kNoNode;
  for (absl::string_view level : levels_) node = InternNode(node, level);
  node_by_string_.emplace(catalog_.arena_.Store(raw), node);
  return node;
}

uint32_t CatalogBuilder::InternBrand(absl::string_view brand) {
  if (brand.empty()) return kNoBrand;
  auto it = catalog_.brand_by_name_.find(brand);
  if (it != catalog_.brand_by_name_.end()) return it->second;
  const BrandIndex b = static_cast<BrandIndex>(catalog_.brands_.size());
  const absl::string_view kept = catalog_.arena_.Store(brand);
  catalog_.brands_.push_back(kept);
  catalog_.brand_by_name_.emplace(kept, b);
  return b;
}

absl::Status CatalogBuilder::AddItem(const ItemSpec& item) {
  const size_t position = size();
  // --- validate everything before changing anything ---
  if (item.id.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("item #", position, ": empty id"));
  }
  // The id rule (docs/catalog.md): 1..1024 bytes of UTF-8 text without
  // control characters, so that every id can be passed back as a C string.
  AISLE_RETURN_IF_ERROR(CheckExternalId(item.id, absl::StrCat("item #", position, ": field 'id'")));
  if (position >= size_t{kInvalidItem}) {
    return absl::ResourceExhaustedError(
        absl::StrCat("item '", item.id, "': catalog is full (", position, " items)"));
  }
  if (!std::isfinite(item.price)) {
    return absl::InvalidArgumentError(
        absl::StrCat("item '", item.id, "': price is ", NonFiniteName(item.price)));
  }
  if (item.price < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("item '", item.id, "': negative price ", item.price));
  }
  // Names that filters and rules look up by string follow the id rule too.
  if (!item.brand.empty() && catalog_.brand_by_name_.find(item.brand) ==
                                 catalog_.brand_by_name_.end()) {
    AISLE_RETURN_IF_ERROR(
        CheckExternalId(item.brand, absl::StrCat("item '", item.id, "': field 'brand'")));
  }
  // Launch time: unknown (InfinitePast, or INT64_MIN microseconds), or a sane time.
  const bool unknown_launch = item.launch_time == absl::InfinitePast() ||
                              item.launch_time == absl::FromUnixMicros(Catalog::kUnknownTime);
  if (!unknown_launch) {
    AISLE_RETURN_IF_ERROR(
        CheckTime(item.launch_time, absl::StrCat("item '", item.id, "': field 'launch_time'")));
  }
  int dim = dim_;
  if (dim == -1 && position == 0) dim = static_cast<int>(item.embedding.size());
  if (!item.embedding.empty()) {
    if (attached_) {
      return absl::FailedPreconditionError(
          absl::StrCat("item '", item.id,
                       "': has its own embedding but embeddings were attached as one matrix"));
    }
    if (item.embedding.size() != size_t(dim < 0 ? 0 : dim)) {
      return absl::InvalidArgumentError(
          absl::StrCat("item '", item.id, "': embedding has ", item.embedding.size(),
                       " values, catalog embedding dimension is ", dim < 0 ? 0 : dim));
    }
    for (size_t d = 0; d < item.embedding.size(); ++d) {
      if (!std::isfinite(item.embedding[d])) {
        return absl::InvalidArgumentError(absl::StrCat("item '", item.id, "': embedding[", d,
                                                       "] is ", NonFiniteName(item.embedding[d])));
      }
    }
  }
  for (size_t a = 0; a < item.attributes.size(); ++a) {
    const absl::string_view key = item.attributes[a].key;
    if (key.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("item '", item.id, "': attribute #", a, " has an empty key"));
    }
    if (catalog_.attr_key_by_name_.find(key) == catalog_.attr_key_by_name_.end()) {
      AISLE_RETURN_IF_ERROR(CheckExternalId(
          key, absl::StrCat("item '", item.id, "': attribute #", a, " key")));
    }
    const absl::string_view value = item.attributes[a].value;
    if (!value.empty() &&
        catalog_.attr_value_by_name_.find(value) == catalog_.attr_value_by_name_.end()) {
      AISLE_RETURN_IF_ERROR(CheckExternalId(
          value, absl::StrCat("item '", item.id, "': attribute '", key, "' value")));
    }
    for (size_t b = 0; b < a; ++b) {
      if (item.attributes[b].key == key) {
        return absl::InvalidArgumentError(
            absl::StrCat("item '", item.id, "': attribute '", key, "' given twice"));
      }
    }
  }
  // The id map is probed once (a cache miss per item at 1M items): insert
  // now, and take the entry out again if the category turns out invalid.
  const ItemIndex index = static_cast<ItemIndex>(position);
  const absl::string_view id = catalog_.arena_.Store(item.id);
  const auto [slot, inserted] = catalog_.index_.try_emplace(id, index);
  if (!inserted) {
    return absl::InvalidArgumentError(absl::StrCat(
        "item '", item.id, "': duplicate id (first added as item index ", slot->second, ")"));
  }
  // Category last: it interns nodes only once every level is known valid.
  absl::StatusOr<TempCategory> resolved = ResolveCategory(item);
  if (!resolved.ok()) {
    catalog_.index_.erase(slot);
    return resolved.status();
  }
  const TempCategory node = *resolved;

  // --- append ---
  dim_ = dim;
  catalog_.ids_.push_back(id);
  catalog_.titles_.push_back(catalog_.arena_.Store(item.title));
  catalog_.category_.push_back(node == kNoNode ? kInvalidCategory : node);
  catalog_.brand_.push_back(InternBrand(item.brand));
  catalog_.price_.push_back(item.price);
  catalog_.stock_.push_back(item.stock);
  catalog_.launch_micros_.push_back(item.launch_time == absl::InfinitePast()
                                        ? Catalog::kUnknownTime
                                        : absl::ToUnixMicros(item.launch_time));
  for (const ItemAttribute& attr : item.attributes) {
    if (attr.value.empty()) continue;
    AttributeKeyIndex k;
    if (auto it = catalog_.attr_key_by_name_.find(attr.key);
        it != catalog_.attr_key_by_name_.end()) {
      k = it->second;
    } else {
      k = static_cast<AttributeKeyIndex>(catalog_.attr_keys_.size());
      const absl::string_view kept = catalog_.arena_.Store(attr.key);
      catalog_.attr_keys_.push_back(kept);
      catalog_.attr_key_by_name_.emplace(kept, k);
    }
    AttributeValueIndex v;
    if (auto it = catalog_.attr_value_by_name_.find(attr.value);
        it != catalog_.attr_value_by_name_.end()) {
      v = it->second;
    } else {
      v = static_cast<AttributeValueIndex>(catalog_.attr_values_.size());
      const absl::string_view kept = catalog_.arena_.Store(attr.value);
      catalog_.attr_values_.push_back(kept);
      catalog_.attr_value_by_name_.emplace(kept, v);
    }
    catalog_.attrs_.push_back({k, v});
  }
  catalog_.attr_offsets_.push_back(static_cast<uint32_t>(catalog_.attrs_.size()));
  if (dim_ > 0) {
    if (!item.embedding.empty()) {
      catalog_.embeddings_.insert(catalog_.embeddings_.end(), item.embedding.begin(),
                                  item.embedding.end());
      any_item_embedding_ = true;
    } else if (!attached_) {
      catalog_.embeddings_.resize(catalog_.embeddings_.size() + size_t(dim_), 0.0f);
      if (missing_embeddings_++ == 0) first_missing_embedding_ = index;
    }
  }
  return absl::OkStatus();
}

absl::Status CatalogBuilder::AttachEmbeddings(EmbeddingMatrix m) {
  // rows x dim must be exactly the floats given (checked without overflow).
  if (m.dim == 0 || m.rows > m.data.size() / m.dim || m.data.size() != m.rows * m.dim) {
    return absl::InvalidArgumentError(absl::StrCat(
        "embedding matrix: rows = ", m.rows, " x dim = ", m.dim, " does not match the ",
        m.data.size(), " floats given (dim must be >= 1 and rows x dim = the float count)"));
  }
  if (!m.ids.empty() && m.ids.size() != m.rows) {
    return absl::InvalidArgumentError(
        absl::StrCat("embedding matrix: ", m.rows, " rows but ", m.ids.size(), " ids"));
  }
  for (size_t r = 0; r < m.ids.size(); ++r) {
    AISLE_RETURN_IF_ERROR(
        CheckExternalId(m.ids[r], absl::StrCat("embedding matrix row ", r, ": field 'id'")));
  }
  if (any_item_embedding_) {
    return absl::FailedPreconditionError(
        "embedding matrix: items were already added with their own embeddings");
  }
  if (options_.embedding_dim > 0 && size_t(options_.embedding_dim) != m.dim) {
    return absl::InvalidArgumentError(absl::StrCat("embedding matrix has dimension ", m.dim,
                                                   ", builder was created with dimension ",
                                                   options_.embedding_dim));
  }
  dim_ = static_cast<int>(m.dim);
  attached_ = true;
  attached_matrix_ = std::move(m);
  return absl::OkStatus();
}

absl::Status CatalogBuilder::FinishEmbeddings() {
  const size_t n = size();
  if (attached_) {
    const EmbeddingMatrix& m = attached_matrix_;
    if (m.rows != n) {
      return absl::FailedPreconditionError(
          absl::StrCat("embedding matrix has ", m.rows, " rows, catalog has ", n, " items"));
    }
    for (size_t r = 0; r < m.rows; ++r) {
      const float* row = m.data.data() + r * m.dim;
      for (size_t d = 0; d < m.dim; ++d) {
        if (!std::isfinite(row[d])) {
          const absl::string_view who =
              m.ids.empty() ? catalog_.ids_[r] : absl::string_view(m.ids[r]);
          return absl::InvalidArgumentError(absl::StrCat("embedding row ", r, " (item '", who,
                                                         "'): value [", d, "] is ",
                                                         NonFiniteName(row[d])));
        }
      }
    }
    if (m.ids.empty()) {
      catalog_.embeddings_ = std::move(attached_matrix_.data);
    } else {
      std::vector<float> out(n * m.dim);
      std::vector<uint8_t> seen(n, 0);
      for (size_t r = 0; r < m.rows; ++r) {
        auto it = catalog_.index_.find(absl::string_view(m.ids[r]));
        if (it == catalog_.index_.end()) {
          return absl::InvalidArgumentError(
              absl::StrCat("embedding row ", r, " names unknown item '", m.ids[r], "'"));
        }
        if (seen[it->second]++) {
          return absl::InvalidArgumentError(
              absl::StrCat("embedding row ", r, " repeats item '", m.ids[r], "'"));
        }
        std::copy(m.data.begin() + r * m.dim, m.data.begin() + (r + 1) * m.dim,
                  out.begin() + size_t{it->second} * m.dim);
      }
      // rows == n and no repeats, so every item is covered.
      catalog_.embeddings_ = std::move(out);
    }
    catalog_.dim_ = m.dim;
    attached_matrix_ = EmbeddingMatrix();
    return absl::OkStatus();
  }
  if (dim_ > 0 && missing_embeddings_ > 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        missing_embeddings_, " items have no embedding (first: item '",
        catalog_.ids_[first_missing_embedding_], "'), catalog embedding dimension is ", dim_));
  }
  catalog_.dim_ = dim_ > 0 ? size_t(dim_) : 0;
  if (catalog_.dim_ == 0) catalog_.embeddings_.clear();
  return absl::OkStatus();
}

void CatalogBuilder::FinishCategories() {
  const size_t nodes = node_parent_.size();
  // Children in first-seen order (temp ids grow in first-seen order).
  std::vector<uint32_t> child_count(nodes + 1, 0);
  std::vector<TempCategory> temp_roots;
  for (TempCategory t = 0; t < nodes; ++t) {
    if (node_parent_[t] == kNoNode) {
      temp_roots.push_back(t);
    } else {
      ++child_count[node_parent_[t] + 1];
    }
  }
  std::vector<uint32_t> child_begin(nodes + 1, 0);
  for (size_t t = 0; t < nodes; ++t) child_begin[t + 1] = child_begin[t] + child_count[t + 1];
  std::vector<TempCategory> temp_children(child_begin[nodes]);
  {
    std::vector<uint32_t> fill(child_begin.begin(), child_begin.end() - 1);
    for (TempCategory t = 0; t < nodes; ++t) {
      if (node_parent_[t] != kNoNode) temp_children[fill[node_parent_[t]]++] = t;
    }
  }
  // Iterative pre-order DFS.
  std::vector<CategoryIndex> new_index(nodes, kInvalidCategory);
  std::vector<TempCategory> order;
  order.reserve(nodes);
  std::vector<TempCategory> stack;
  for (auto r = temp_roots.rbegin(); r != temp_roots.rend(); ++r) stack.push_back(*r);
  while (!stack.empty()) {
    const TempCategory t = stack.back();
    stack.pop_back();
    new_index[t] = static_cast<CategoryIndex>(order.size());
    order.push_back(t);
    for (uint32_t k = child_begin[t + 1]; k > child_begin[t]; --k) {
      stack.push_back(temp_children[k - 1]);
    }
  }

  CategoryTree& tree = catalog_.tree_;
  tree = CategoryTree();
  tree.name_.resize(nodes);
  tree.path_.resize(nodes);
  tree.parent_.resize(nodes);
  tree.depth_.resize(nodes);
  tree.subtree_end_.resize(nodes);
  tree.path_offsets_.assign(1, 0);
  tree.child_offsets_.assign(1, 0);
  tree.by_path_.reserve(nodes);
  std::string path;
  for (CategoryIndex c = 0; c < nodes; ++c) {
    const TempCategory t = order[c];
    const CategoryIndex parent =
        node_parent_[t] == kNoNode ? kInvalidCategory : new_index[node_parent_[t]];
    tree.parent_[c] = parent;
    tree.depth_[c] = parent == kInvalidCategory ? 0 : tree.depth_[parent] + 1;
    tree.name_[c] = tree.arena_.Store(node_name_[t]);
    path.clear();
    if (parent != kInvalidCategory) absl::StrAppend(&path, tree.path_[parent], ">");
    absl::StrAppend(&path, node_name_[t]);
    tree.path_[c] = tree.arena_.Store(path);
    tree.by_path_.emplace(tree.path_[c], c);
    if (parent != kInvalidCategory) {
      auto pp = tree.Path(parent);
      tree.path_nodes_.insert(tree.path_nodes_.end(), pp.begin(), pp.end());
    } else {
      tree.roots_.push_back(c);
    }
    tree.path_nodes_.push_back(c);
    tree.path_offsets_.push_back(static_cast<uint32_t>(tree.path_nodes_.size()));
    for (uint32_t k = child_begin[t]; k < child_begin[t + 1]; ++k) {
      tree.children_.push_back(new_index[temp_children[k]]);
    }
    tree.child_offsets_.push_back(static_cast<uint32_t>(tree.children_.size()));
  }
  // Subtree ends, children before parents (reverse pre-order).
  for (CategoryIndex c = static_cast<CategoryIndex>(nodes); c-- > 0;) {
    CategoryIndex end = c + 1;
    for (CategoryIndex child : tree.children(c)) end = std::max(end, tree.subtree_end_[child]);
    tree.subtree_end_[c] = end;
  }

  // Remap item categories and bucket items by node (counting sort).
  const size_t n = catalog_.category_.size();
  std::vector<uint32_t> offsets(nodes + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    CategoryIndex& c = catalog_.category_[i];
    if (c != kInvalidCategory) {
      c = new_index[c];
      ++offsets[c + 1];
    }
  }
  for (size_t c = 0; c < nodes; ++c) offsets[c + 1] += offsets[c];
  std::vector<ItemIndex> items(offsets[nodes]);
  {
    std::vector<uint32_t> fill(offsets.begin(), offsets.end() - 1);
    for (size_t i = 0; i < n; ++i) {
      const CategoryIndex c = catalog_.category_[i];
      if (c != kInvalidCategory) items[fill[c]++] = static_cast<ItemIndex>(i);
    }
  }
  catalog_.items_by_category_ = std::move(items);
  catalog_.category_item_offsets_ = std::move(offsets);
}

absl::StatusOr<Catalog> CatalogBuilder::Build() {
  if (size() == 0) {
    return absl::FailedPreconditionError("catalog is empty: no items were added");
  }
  AISLE_RETURN_IF_ERROR(FinishEmbeddings());
  FinishCategories();
  Catalog out = std::move(catalog_);
  // Reset to a fresh builder with the same options.
  catalog_ = Catalog();
  dim_ = options_.embedding_dim < -1 ? -1 : options_.embedding_dim;
  node_parent_.clear();
  node_name_.clear();
  node_by_key_.clear();
  node_by_string_.clear();
  missing_embeddings_ = 0;
  first_missing_embedding_ = kInvalidItem;
  any_item_embedding_ = false;
  attached_ = false;
  attached_matrix_ = EmbeddingMatrix();
  return out;
}

}  // namespace aisle::catalog
