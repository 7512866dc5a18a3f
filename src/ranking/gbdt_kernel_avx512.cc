// AVX-512 flat-tree kernel (see gbdt_kernel.h). Only the functions below carry
// target("avx512f"); everything is self-contained (intrinsics, plain loops,
// internal linkage) so no AVX-512 code can be merged into shared inline code.
//
// 16 rows per vector. The block's rows (up to 64) are first copied into a
// column-major scratch block (only the columns the trees read), then up to 4
// groups of 16 rows walk each tree in lockstep (4 independent chains per
// level; interleaving a second tree measured no faster). The position of a lane within its level,
// p, starts at 0 and steps p = 2p + right; the node is node_offset + 2^level - 1
// + p and the leaf is leaf_offset + p. Levels with <= 64 nodes fetch the
// node's feature word and threshold with in-register permutes of the level
// (no gather); deeper levels gather them. On levels 0-3 (<= 8 nodes) the row
// values are contiguous loads of the nodes' columns blended by p; deeper
// levels gather them (column offset + row). Gathers are this kernel's
// bottleneck, which is why the top levels avoid them. Leaves (exact floats
// permuted from registers, or doubles gathered) are added in tree order,
// exactly like the portable kernel, so the sums are bit-identical.
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

#define AISLE_AVX512_FN __attribute__((target("avx512f"), always_inline)) inline

// One level for G groups: fetch (feature, threshold) of each lane's node from
// the level's `width` nodes at feat/thr, gather x, step p.
template <int G>
AISLE_AVX512_FN void Level(const uint32_t* feat, const float* thr, uint32_t width,
                           const float* block, const __m512i* lane, __m512i* p) {
  __m512i f[G];
  __m512 t[G];
  if (width <= 16) {
    const __mmask16 m = static_cast<__mmask16>((1u << width) - 1u);
    const __m512i fv = _mm512_maskz_loadu_epi32(m, feat);
    const __m512 tv = _mm512_maskz_loadu_ps(m, thr);
    for (int g = 0; g < G; ++g) {
      f[g] = _mm512_permutexvar_epi32(p[g], fv);
      t[g] = _mm512_permutexvar_ps(p[g], tv);
    }
  } else if (width == 32) {
    const __m512i f0 = _mm512_loadu_si512(feat);
    const __m512i f1 = _mm512_loadu_si512(feat + 16);
    const __m512 t0 = _mm512_loadu_ps(thr);
    const __m512 t1 = _mm512_loadu_ps(thr + 16);
    for (int g = 0; g < G; ++g) {
      f[g] = _mm512_permutex2var_epi32(f0, p[g], f1);
      t[g] = _mm512_permutex2var_ps(t0, p[g], t1);
    }
  } else if (width == 64) {
    const __m512i f0 = _mm512_loadu_si512(feat);
    const __m512i f1 = _mm512_loadu_si512(feat + 16);
    const __m512i f2 = _mm512_loadu_si512(feat + 32);
    const __m512i f3 = _mm512_loadu_si512(feat + 48);
    const __m512 t0 = _mm512_loadu_ps(thr);
    const __m512 t1 = _mm512_loadu_ps(thr + 16);
    const __m512 t2 = _mm512_loadu_ps(thr + 32);
    const __m512 t3 = _mm512_loadu_ps(thr + 48);
    const __m512i bit5 = _mm512_set1_epi32(32);
    for (int g = 0; g < G; ++g) {
      const __mmask16 hi = _mm512_test_epi32_mask(p[g], bit5);
      f[g] = _mm512_mask_blend_epi32(hi, _mm512_permutex2var_epi32(f0, p[g], f1),
                                     _mm512_permutex2var_epi32(f2, p[g], f3));
      t[g] = _mm512_mask_blend_ps(hi, _mm512_permutex2var_ps(t0, p[g], t1),
                                  _mm512_permutex2var_ps(t2, p[g], t3));
    }
  } else {
    for (int g = 0; g < G; ++g) {
      f[g] = _mm512_i32gather_epi32(p[g], feat, 4);
      t[g] = _mm512_i32gather_ps(p[g], thr, 4);
    }
  }
  const __m512i col_mask = _mm512_set1_epi32(0x7fffffff);
  const __m512i nan_bit = _mm512_set1_epi32(static_cast<int>(kGbdtNanRightBit));
  const __m512i minus_one = _mm512_set1_epi32(-1);
  __m512 x[G];
  if (width <= 4) {
    // Each of the level's nodes reads one column: load the lanes' rows of
    // each and pick by the low bits of p.
    const float* c0 = block + (feat[0] & ~kGbdtNanRightBit);
    if (width == 1) {
      for (int g = 0; g < G; ++g) x[g] = _mm512_loadu_ps(c0 + 16 * g);
    } else {
      const float* c1 = block + (feat[1] & ~kGbdtNanRightBit);
      const __m512i bit0 = _mm512_set1_epi32(1);
      if (width == 2) {
        for (int g = 0; g < G; ++g) {
          x[g] = _mm512_mask_blend_ps(_mm512_test_epi32_mask(p[g], bit0),
                                      _mm512_loadu_ps(c0 + 16 * g), _mm512_loadu_ps(c1 + 16 * g));
        }
      } else {
        const float* c2 = block + (feat[2] & ~kGbdtNanRightBit);
        const float* c3 = block + (feat[3] & ~kGbdtNanRightBit);
        const __m512i bit1 = _mm512_set1_epi32(2);
        for (int g = 0; g < G; ++g) {
          const __mmask16 b0 = _mm512_test_epi32_mask(p[g], bit0);
          const __m512 x01 =
              _mm512_mask_blend_ps(b0, _mm512_loadu_ps(c0 + 16 * g), _mm512_loadu_ps(c1 + 16 * g));
          const __m512 x23 =
              _mm512_mask_blend_ps(b0, _mm512_loadu_ps(c2 + 16 * g), _mm512_loadu_ps(c3 + 16 * g));
          x[g] = _mm512_mask_blend_ps(_mm512_test_epi32_mask(p[g], bit1), x01, x23);
        }
      }
    }
  } else if (width == 8) {
    const float* c[8];
    for (int i = 0; i < 8; ++i) c[i] = block + (feat[i] & ~kGbdtNanRightBit);
    for (int g = 0; g < G; ++g) {
      const __mmask16 b0 = _mm512_test_epi32_mask(p[g], _mm512_set1_epi32(1));
      const __mmask16 b1 = _mm512_test_epi32_mask(p[g], _mm512_set1_epi32(2));
      const __mmask16 b2 = _mm512_test_epi32_mask(p[g], _mm512_set1_epi32(4));
      __m512 y[4];
      for (int i = 0; i < 4; ++i) {
        y[i] = _mm512_mask_blend_ps(b0, _mm512_loadu_ps(c[2 * i] + 16 * g),
                                    _mm512_loadu_ps(c[2 * i + 1] + 16 * g));
      }
      x[g] = _mm512_mask_blend_ps(b2, _mm512_mask_blend_ps(b1, y[0], y[1]),
                                  _mm512_mask_blend_ps(b1, y[2], y[3]));
    }
  } else {
    for (int g = 0; g < G; ++g) {
      const __m512i idx = _mm512_add_epi32(lane[g], _mm512_and_si512(f[g], col_mask));
      x[g] = _mm512_i32gather_ps(idx, block, 4);
    }
  }
  for (int g = 0; g < G; ++g) {
    const __mmask16 gt = _mm512_cmp_ps_mask(x[g], t[g], _CMP_GT_OQ);
    const __mmask16 nan = _mm512_cmp_ps_mask(x[g], x[g], _CMP_UNORD_Q);
    const __mmask16 nan_right = _mm512_mask_test_epi32_mask(nan, f[g], nan_bit);
    const __m512i p2 = _mm512_add_epi32(p[g], p[g]);
    p[g] = _mm512_mask_sub_epi32(p2, static_cast<__mmask16>(gt | nan_right), p2, minus_one);
  }
}

// Adds the leaf at each lane's p to acc[16 g + lane]: double leaves are
// gathered; float leaves (exact, see GbdtFlatModelRef) are permuted from
// registers for up to 64 leaves, else gathered, then widened to double.
template <int G, bool kFloatLeaves>
AISLE_AVX512_FN void AddLeaves(const double* leaves, const float* leaves_f, uint32_t width,
                               const __m512i* p, double* acc) {
  if constexpr (kFloatLeaves) {
    __m512 v[G];
    if (width <= 16) {
      const __m512 l = _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << width) - 1u), leaves_f);
      for (int g = 0; g < G; ++g) v[g] = _mm512_permutexvar_ps(p[g], l);
    } else if (width == 32) {
      const __m512 l0 = _mm512_loadu_ps(leaves_f);
      const __m512 l1 = _mm512_loadu_ps(leaves_f + 16);
      for (int g = 0; g < G; ++g) v[g] = _mm512_permutex2var_ps(l0, p[g], l1);
    } else if (width == 64) {
      const __m512 l0 = _mm512_loadu_ps(leaves_f);
      const __m512 l1 = _mm512_loadu_ps(leaves_f + 16);
      const __m512 l2 = _mm512_loadu_ps(leaves_f + 32);
      const __m512 l3 = _mm512_loadu_ps(leaves_f + 48);
      const __m512i bit5 = _mm512_set1_epi32(32);
      for (int g = 0; g < G; ++g) {
        v[g] = _mm512_mask_blend_ps(_mm512_test_epi32_mask(p[g], bit5),
                                    _mm512_permutex2var_ps(l0, p[g], l1),
                                    _mm512_permutex2var_ps(l2, p[g], l3));
      }
    } else {
      for (int g = 0; g < G; ++g) v[g] = _mm512_i32gather_ps(p[g], leaves_f, 4);
    }
    for (int g = 0; g < G; ++g) {
      const __m512d l0 = _mm512_cvtps_pd(_mm512_castps512_ps256(v[g]));
      const __m512d l1 =
          _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v[g]), 1)));
      double* a = acc + 16 * g;
      _mm512_storeu_pd(a, _mm512_add_pd(_mm512_loadu_pd(a), l0));
      _mm512_storeu_pd(a + 8, _mm512_add_pd(_mm512_loadu_pd(a + 8), l1));
    }
  } else {
    for (int g = 0; g < G; ++g) {
      const __m512d l0 = _mm512_i32gather_pd(_mm512_castsi512_si256(p[g]), leaves, 8);
      const __m512d l1 = _mm512_i32gather_pd(_mm512_extracti64x4_epi64(p[g], 1), leaves, 8);
      double* a = acc + 16 * g;
      _mm512_storeu_pd(a, _mm512_add_pd(_mm512_loadu_pd(a), l0));
      _mm512_storeu_pd(a + 8, _mm512_add_pd(_mm512_loadu_pd(a + 8), l1));
    }
  }
}

// One tree of compile-time depth D (D == 0: run-time depth).
template <int G, bool kFloatLeaves, uint32_t D>
AISLE_AVX512_FN void Tree(const uint32_t* feat, const float* thr, const double* leaves,
                          const float* leaves_f, uint32_t depth, const float* rows,
                          const __m512i* lane, double* acc) {
  if constexpr (D > 0) depth = D;
  __m512i p[G];
  for (int g = 0; g < G; ++g) p[g] = _mm512_setzero_si512();
#pragma GCC unroll 10
  for (uint32_t l = 0; l < depth; ++l) {
    const uint32_t first = (1u << l) - 1u;
    Level<G>(feat + first, thr + first, 1u << l, rows, lane, p);
  }
  AddLeaves<G, kFloatLeaves>(leaves, leaves_f, 1u << depth, p, acc);
}

template <int G, bool kFloatLeaves>
__attribute__((target("avx512f"))) void Run(const GbdtFlatModelRef& m, const float* rows,
                                            const __m512i* lane, double* acc) {
  for (size_t i = 0; i < m.num_trees; ++i) {
    const GbdtFlatTreeRef& tr = m.trees[i];
    const uint32_t* f = m.feature + tr.node_offset;
    const float* t = m.threshold + tr.node_offset;
    const double* lv = m.leaves + tr.leaf_offset;
    const float* lf = kFloatLeaves ? m.leaves_f + tr.leaf_offset : nullptr;
    double* a = acc + static_cast<size_t>(tr.output) * kGbdtBlockRows;
    switch (tr.depth) {
#define AISLE_GBDT_AVX512_DEPTH(D)                                   \
  case D:                                                            \
    Tree<G, kFloatLeaves, D>(f, t, lv, lf, tr.depth, rows, lane, a); \
    break;
      AISLE_GBDT_AVX512_DEPTH(1)
      AISLE_GBDT_AVX512_DEPTH(2)
      AISLE_GBDT_AVX512_DEPTH(3)
      AISLE_GBDT_AVX512_DEPTH(4)
      AISLE_GBDT_AVX512_DEPTH(5)
      AISLE_GBDT_AVX512_DEPTH(6)
      AISLE_GBDT_AVX512_DEPTH(7)
      AISLE_GBDT_AVX512_DEPTH(8)
#undef AISLE_GBDT_AVX512_DEPTH
      default:
        Tree<G, kFloatLeaves, 0>(f, t, lv, lf, tr.depth, rows, lane, a);
    }
  }
}

template <bool kFloatLeaves>
__attribute__((target("avx512f"))) void Dispatch(size_t groups, const GbdtFlatModelRef& m,
                                                 const float* rows, const __m512i* lane,
                                                 double* acc) {
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

#undef AISLE_AVX512_FN

}  // namespace

__attribute__((target("avx512f"))) void GbdtScoreFlatAvx512(const GbdtFlatModelRef& model,
                                                            const float* rows, size_t stride,
                                                            size_t n, float* scratch, double* acc) {
  const size_t groups = (n + 15) / 16;
  // Column-major copy of the columns the trees read; rows n .. 16 * groups
  // (lanes whose results are discarded) read zeros.
  for (size_t j = 0; j < model.num_columns; ++j) {
    const float* src = rows + model.columns[j];
    float* dst = scratch + j * kGbdtBlockRows;
    for (size_t r = 0; r < n; ++r) dst[r] = src[r * stride];
    for (size_t r = n; r < 16 * groups; ++r) dst[r] = 0.0f;
  }
  // Row index of each lane within the block.
  __m512i lane[4];
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (int g = 0; g < 4; ++g) lane[g] = _mm512_add_epi32(iota, _mm512_set1_epi32(16 * g));
  rows = scratch;
  if (model.leaves_f != nullptr) {
    Dispatch<true>(groups, model, rows, lane, acc);
  } else {
    Dispatch<false>(groups, model, rows, lane, acc);
  }
}

#else  // not x86

void GbdtScoreFlatAvx512(const GbdtFlatModelRef&, const float*, size_t, size_t, float*, double*) {}

#endif

}  // namespace aisle::ranking::internal

#if defined(__x86_64__) || defined(__i386__)
#pragma GCC diagnostic pop
#endif
