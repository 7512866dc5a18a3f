// AVX2 flat-tree kernel (see gbdt_kernel.h). Only the functions below carry
// target("avx2"); everything is self-contained (intrinsics, plain loops,
// internal linkage) so no AVX2 code can be merged into shared inline code.
//
// 8 rows per vector. The block's rows are first copied into a column-major
// scratch block (only the columns the trees read); then up to 4 groups of 8
// rows walk each tree in lockstep (a 64-row block is two passes of 32 rows,
// each over all trees, so every row still adds its leaves in tree order). p
// is the lane's position within its level (p = 2p + right). Levels with <= 32
// nodes fetch (feature, threshold) by in-register permutes; deeper levels
// gather them. On levels 0-3 the row values are contiguous loads of the
// nodes' columns blended by p; deeper levels gather them (column offset +
// row). Leaves (exact floats permuted, or doubles gathered) are added exactly
// like the portable kernel, so the sums are bit-identical.
#include "ranking/gbdt_kernel.h"

#if defined(__x86_64__) || defined(__i386__)
// GCC 12's gather intrinsics start from _mm*_undefined_*(), which its
// -W(maybe-)uninitialized misreport (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#endif

namespace aisle::ranking::internal {

#if defined(__x86_64__) || defined(__i386__)
namespace {

#define AISLE_AVX2_FN __attribute__((target("avx2"), always_inline)) inline

template <int G>
AISLE_AVX2_FN void Level(const uint32_t* feat, const float* thr, uint32_t width, const float* block,
                         const __m256i* lane, __m256i* p) {
  __m256i f[G];
  __m256 t[G];
  const int* fi = reinterpret_cast<const int*>(feat);
  if (width <= 8) {
    // The node arrays are padded past the last tree, so 8 loads never fault.
    const __m256i fv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(feat));
    const __m256 tv = _mm256_loadu_ps(thr);
    for (int g = 0; g < G; ++g) {
      f[g] = _mm256_permutevar8x32_epi32(fv, p[g]);
      t[g] = _mm256_permutevar8x32_ps(tv, p[g]);
    }
  } else if (width == 16) {
    const __m256i f0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(feat));
    const __m256i f1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(feat + 8));
    const __m256 t0 = _mm256_loadu_ps(thr);
    const __m256 t1 = _mm256_loadu_ps(thr + 8);
    for (int g = 0; g < G; ++g) {
      // Bit 3 of p picks the half: shift it into the sign bit for blendv.
      const __m256 hi = _mm256_castsi256_ps(_mm256_slli_epi32(p[g], 28));
      f[g] = _mm256_castps_si256(
          _mm256_blendv_ps(_mm256_castsi256_ps(_mm256_permutevar8x32_epi32(f0, p[g])),
                           _mm256_castsi256_ps(_mm256_permutevar8x32_epi32(f1, p[g])), hi));
      t[g] = _mm256_blendv_ps(_mm256_permutevar8x32_ps(t0, p[g]),
                              _mm256_permutevar8x32_ps(t1, p[g]), hi);
    }
  } else if (width == 32) {
    // Four 8-node quarters, picked by bits 3 and 4 of p.
    __m256 fq[4];
    __m256 tq[4];
    for (int q = 0; q < 4; ++q) {
      fq[q] = _mm256_loadu_ps(reinterpret_cast<const float*>(feat + 8 * q));
      tq[q] = _mm256_loadu_ps(thr + 8 * q);
    }
    for (int g = 0; g < G; ++g) {
      const __m256 b3 = _mm256_castsi256_ps(_mm256_slli_epi32(p[g], 28));
      const __m256 b4 = _mm256_castsi256_ps(_mm256_slli_epi32(p[g], 27));
      __m256 fs[4];
      __m256 ts[4];
      for (int q = 0; q < 4; ++q) {
        fs[q] = _mm256_permutevar8x32_ps(fq[q], p[g]);
        ts[q] = _mm256_permutevar8x32_ps(tq[q], p[g]);
      }
      f[g] = _mm256_castps_si256(_mm256_blendv_ps(_mm256_blendv_ps(fs[0], fs[1], b3),
                                                  _mm256_blendv_ps(fs[2], fs[3], b3), b4));
      t[g] = _mm256_blendv_ps(_mm256_blendv_ps(ts[0], ts[1], b3),
                              _mm256_blendv_ps(ts[2], ts[3], b3), b4);
    }
  } else {
    for (int g = 0; g < G; ++g) {
      f[g] = _mm256_i32gather_epi32(fi, p[g], 4);
      t[g] = _mm256_i32gather_ps(thr, p[g], 4);
    }
  }
  const __m256i col_mask = _mm256_set1_epi32(0x7fffffff);
  __m256 x[G];
  if (width <= 4) {
    // Each of the level's nodes reads one column: load the lanes' rows of
    // each and pick by the low bits of p (shifted into the sign bit).
    const float* c0 = block + (feat[0] & ~kGbdtNanRightBit);
    if (width == 1) {
      for (int g = 0; g < G; ++g) x[g] = _mm256_loadu_ps(c0 + 8 * g);
    } else {
      const float* c1 = block + (feat[1] & ~kGbdtNanRightBit);
      if (width == 2) {
        for (int g = 0; g < G; ++g) {
          x[g] = _mm256_blendv_ps(_mm256_loadu_ps(c0 + 8 * g), _mm256_loadu_ps(c1 + 8 * g),
                                  _mm256_castsi256_ps(_mm256_slli_epi32(p[g], 31)));
        }
      } else {
        const float* c2 = block + (feat[2] & ~kGbdtNanRightBit);
        const float* c3 = block + (feat[3] & ~kGbdtNanRightBit);
        for (int g = 0; g < G; ++g) {
          const __m256 b0 = _mm256_castsi256_ps(_mm256_slli_epi32(p[g], 31));
          const __m256 x01 =
              _mm256_blendv_ps(_mm256_loadu_ps(c0 + 8 * g), _mm256_loadu_ps(c1 + 8 * g), b0);
          const __m256 x23 =
              _mm256_blendv_ps(_mm256_loadu_ps(c2 + 8 * g), _mm256_loadu_ps(c3 + 8 * g), b0);
          x[g] = _mm256_blendv_ps(x01, x23, _mm256_castsi256_ps(_mm256_slli_epi32(p[g], 30)));
        }
      }
    }
  } else if (width == 8) {
    const float* c[8];
    for (int i = 0; i < 8; ++i) c[i] = block + (feat[i] & ~kGbdtNanRightBit);
    for (int g = 0; g < G; ++g) {
      const __m256 b0 = _mm256_castsi256_ps(_mm256_slli_epi32(p[g], 31));
      const __m256 b1 = _mm256_castsi256_ps(_mm256_slli_epi32(p[g], 30));
      const __m256 b2 = _mm256_castsi256_ps(_mm256_slli_epi32(p[g], 29));
      __m256 y[4];
      for (int i = 0; i < 4; ++i) {
        y[i] = _mm256_blendv_ps(_mm256_loadu_ps(c[2 * i] + 8 * g),
                                _mm256_loadu_ps(c[2 * i + 1] + 8 * g), b0);
      }
      x[g] =
          _mm256_blendv_ps(_mm256_blendv_ps(y[0], y[1], b1), _mm256_blendv_ps(y[2], y[3], b1), b2);
    }
  } else {
    for (int g = 0; g < G; ++g) {
      const __m256i idx = _mm256_add_epi32(lane[g], _mm256_and_si256(f[g], col_mask));
      x[g] = _mm256_i32gather_ps(block, idx, 4);
    }
  }
  for (int g = 0; g < G; ++g) {
    const __m256 gt = _mm256_cmp_ps(x[g], t[g], _CMP_GT_OQ);
    const __m256 nan = _mm256_cmp_ps(x[g], x[g], _CMP_UNORD_Q);
    const __m256 nan_right = _mm256_and_ps(nan, _mm256_castsi256_ps(_mm256_srai_epi32(f[g], 31)));
    const __m256i right = _mm256_castps_si256(_mm256_or_ps(gt, nan_right));  // -1 or 0
    p[g] = _mm256_sub_epi32(_mm256_add_epi32(p[g], p[g]), right);
  }
}

// Adds the leaf at each lane's p to acc[8 g + lane]: double leaves are
// gathered; float leaves (exact, see GbdtFlatModelRef) are permuted from
// registers for up to 64 leaves, else gathered, then widened to double.
template <int G, bool kFloatLeaves>
AISLE_AVX2_FN void AddLeaves(const double* leaves, const float* leaves_f, uint32_t width,
                             const __m256i* p, double* acc) {
  __m256d l0[G];
  __m256d l1[G];
  if constexpr (kFloatLeaves) {
    __m256 v[G];
    if (width <= 8) {
      const __m256 l = _mm256_loadu_ps(leaves_f);  // padded: never faults
      for (int g = 0; g < G; ++g) v[g] = _mm256_permutevar8x32_ps(l, p[g]);
    } else if (width == 16) {
      const __m256 lo = _mm256_loadu_ps(leaves_f);
      const __m256 hi = _mm256_loadu_ps(leaves_f + 8);
      for (int g = 0; g < G; ++g) {
        v[g] =
            _mm256_blendv_ps(_mm256_permutevar8x32_ps(lo, p[g]), _mm256_permutevar8x32_ps(hi, p[g]),
                             _mm256_castsi256_ps(_mm256_slli_epi32(p[g], 28)));
      }
    } else if (width <= 64) {
      // 4 or 8 eighths, picked by bits 3.. of p.
      __m256 e[8];
      const int eighths = static_cast<int>(width / 8);
      for (int q = 0; q < eighths; ++q) e[q] = _mm256_loadu_ps(leaves_f + 8 * q);
      for (int g = 0; g < G; ++g) {
        __m256 s[8];
        for (int q = 0; q < eighths; ++q) s[q] = _mm256_permutevar8x32_ps(e[q], p[g]);
        int n = eighths;
        for (int bit = 3; n > 1; ++bit, n /= 2) {
          const __m256 b = _mm256_castsi256_ps(_mm256_slli_epi32(p[g], 31 - bit));
          for (int q = 0; q < n / 2; ++q) s[q] = _mm256_blendv_ps(s[2 * q], s[2 * q + 1], b);
        }
        v[g] = s[0];
      }
    } else {
      for (int g = 0; g < G; ++g) v[g] = _mm256_i32gather_ps(leaves_f, p[g], 4);
    }
    for (int g = 0; g < G; ++g) {
      l0[g] = _mm256_cvtps_pd(_mm256_castps256_ps128(v[g]));
      l1[g] = _mm256_cvtps_pd(_mm256_extractf128_ps(v[g], 1));
    }
  } else {
    for (int g = 0; g < G; ++g) {
      l0[g] = _mm256_i32gather_pd(leaves, _mm256_castsi256_si128(p[g]), 8);
      l1[g] = _mm256_i32gather_pd(leaves, _mm256_extracti128_si256(p[g], 1), 8);
    }
  }
  for (int g = 0; g < G; ++g) {
    double* a = acc + 8 * g;
    _mm256_storeu_pd(a, _mm256_add_pd(_mm256_loadu_pd(a), l0[g]));
    _mm256_storeu_pd(a + 4, _mm256_add_pd(_mm256_loadu_pd(a + 4), l1[g]));
  }
}

template <int G, bool kFloatLeaves, uint32_t D>
AISLE_AVX2_FN void Tree(const uint32_t* feat, const float* thr, const double* leaves,
                        const float* leaves_f, uint32_t depth, const float* rows,
                        const __m256i* lane, double* acc) {
  if constexpr (D > 0) depth = D;
  __m256i p[G];
  for (int g = 0; g < G; ++g) p[g] = _mm256_setzero_si256();
#pragma GCC unroll 10
  for (uint32_t l = 0; l < depth; ++l) {
    const uint32_t first = (1u << l) - 1u;
    Level<G>(feat + first, thr + first, 1u << l, rows, lane, p);
  }
  AddLeaves<G, kFloatLeaves>(leaves, leaves_f, 1u << depth, p, acc);
}

template <int G, bool kFloatLeaves>
__attribute__((target("avx2"))) void Run(const GbdtFlatModelRef& m, const float* rows,
                                         const __m256i* lane, double* acc) {
  for (size_t i = 0; i < m.num_trees; ++i) {
    const GbdtFlatTreeRef& tr = m.trees[i];
    const uint32_t* f = m.feature + tr.node_offset;
    const float* t = m.threshold + tr.node_offset;
    const double* lv = m.leaves + tr.leaf_offset;
    const float* lf = kFloatLeaves ? m.leaves_f + tr.leaf_offset : nullptr;
    double* a = acc + static_cast<size_t>(tr.output) * kGbdtBlockRows;
    switch (tr.depth) {
#define AISLE_GBDT_AVX2_DEPTH(D)                                     \
  case D:                                                            \
    Tree<G, kFloatLeaves, D>(f, t, lv, lf, tr.depth, rows, lane, a); \
    break;
      AISLE_GBDT_AVX2_DEPTH(1)
      AISLE_GBDT_AVX2_DEPTH(2)
      AISLE_GBDT_AVX2_DEPTH(3)
      AISLE_GBDT_AVX2_DEPTH(4)
      AISLE_GBDT_AVX2_DEPTH(5)
      AISLE_GBDT_AVX2_DEPTH(6)
      AISLE_GBDT_AVX2_DEPTH(7)
      AISLE_GBDT_AVX2_DEPTH(8)
#undef AISLE_GBDT_AVX2_DEPTH
      default:
        Tree<G, kFloatLeaves, 0>(f, t, lv, lf, tr.depth, rows, lane, a);
    }
  }
}

template <bool kFloatLeaves>
__attribute__((target("avx2"))) void Dispatch(size_t groups, const GbdtFlatModelRef& m,
                                              const float* rows, const __m256i* lane, double* acc) {
  switch (groups) {
    case 1:
      return Run<1, kFloatLeaves>(m, rows, lane, acc);
    case 2:
      return Run<2, kFloatLeaves>(m, rows, lane, acc);
    case 3:
      return Run<3, kFloatLeaves>(m, rows, lane, acc);
    default:
      return Run<4, kFloatLeaves>(m, rows, lane, acc);
  }
}

#undef AISLE_AVX2_FN

}  // namespace

__attribute__((target("avx2"))) void GbdtScoreFlatAvx2(const GbdtFlatModelRef& model,
                                                       const float* rows, size_t stride, size_t n,
                                                       float* scratch, double* acc) {
  const size_t padded = (n + 7) / 8 * 8;
  // Column-major copy of the columns the trees read; rows n .. padded (lanes
  // whose results are discarded) read zeros.
  for (size_t j = 0; j < model.num_columns; ++j) {
    const float* src = rows + model.columns[j];
    float* dst = scratch + j * kGbdtBlockRows;
    for (size_t r = 0; r < n; ++r) dst[r] = src[r * stride];
    for (size_t r = n; r < padded; ++r) dst[r] = 0.0f;
  }
  // Row index of each lane within a pass.
  __m256i lane[4];
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int g = 0; g < 4; ++g) lane[g] = _mm256_add_epi32(iota, _mm256_set1_epi32(8 * g));
  // Passes of up to 32 rows (4 groups): the pass's rows start at scratch + r0.
  for (size_t r0 = 0; r0 < n; r0 += 32) {
    const size_t groups = (n - r0 + 7) / 8;
    if (model.leaves_f != nullptr) {
      Dispatch<true>(groups, model, scratch + r0, lane, acc + r0);
    } else {
      Dispatch<false>(groups, model, scratch + r0, lane, acc + r0);
    }
  }
}

#else  // not x86

void GbdtScoreFlatAvx2(const GbdtFlatModelRef&, const float*, size_t, size_t, float*, double*) {}

#endif

}  // namespace aisle::ranking::internal

#if defined(__x86_64__) || defined(__i386__)
#pragma GCC diagnostic pop
#endif
