#include "format/WeightPacking.h"

#include <algorithm>
#include <cmath>

namespace resc {
namespace format {

std::string PackRecipe::key() const {
  std::string k = std::to_string(int(kind)) + "|" + weight + "|" + bias + "|" +
                  std::to_string(channels);
  if (batchNorm) {
    char eps[32];
    snprintf(eps, sizeof eps, "%a", batchNorm->epsilon);
    k += "|bn:" + batchNorm->weight + "," + batchNorm->bias + "," +
         batchNorm->mean + "," + batchNorm->var + "," + eps;
  }
  return k;
}

std::vector<int64_t> packedConvWeightDims(int64_t O, int64_t I, int64_t KW,
                                          int64_t KH) {
  // A block is 64 bytes x rows x taps: a multiple of 4 KB when rows x taps
  // is a multiple of 64.
  int64_t rows = I + 1;
  if (rows * KW * KH % 64 == 0)
    ++rows;
  return {kConvWeightBlock, rows, KW, KH,
          (O + kConvWeightBlock - 1) / kConvWeightBlock};
}

namespace {

/// The block layout of packedConvWeightDims, shared by the conv and
/// Winograd recipes: sizes `out` (zeros for the channels past O and the
/// rows no kernel reads) and places element (o, i, tap), tap = ky * KW + kx.
struct BlockedConvWeight {
  std::vector<int64_t> dims;
  BlockedConvWeight(AlignedFloats &out, int64_t O, int64_t I, int64_t KW,
                    int64_t KH)
      : dims(packedConvWeightDims(O, I, KW, KH)) {
    out.assign(size_t(dims[0] * dims[1] * dims[2] * dims[3] * dims[4]), 0.0f);
  }
  size_t at(int64_t o, int64_t i, int64_t tap) const {
    const int64_t B = dims[0], taps = dims[2] * dims[3];
    return size_t(((o / B * taps + tap) * dims[1] + i) * B + o % B);
  }
};

const resc::Tensor *need(const ParamLookup &lookup, const std::string &name,
                         size_t rank, std::string &error) {
  const resc::Tensor *t = lookup(name);
  if (!t) {
    error = "missing parameter '" + name + "'";
    return nullptr;
  }
  if (t->rank() != int64_t(rank) ||
      resc::checkedNumel(t->shape) != t->numel()) {
    error = "parameter '" + name + "' has shape " +
            resc::shapeToString(t->shape) + ", expected rank " +
            std::to_string(rank);
    return nullptr;
  }
  return t;
}

/// Per-channel scale and shift of a batch norm, in double.
bool batchNormCoefficients(const BatchNormRef &bn, int64_t channels,
                           const ParamLookup &lookup,
                           std::vector<double> &scale,
                           std::vector<double> &shift, std::string &error) {
  const resc::Tensor *g = need(lookup, bn.weight, 1, error);
  const resc::Tensor *b = g ? need(lookup, bn.bias, 1, error) : nullptr;
  const resc::Tensor *m = b ? need(lookup, bn.mean, 1, error) : nullptr;
  const resc::Tensor *v = m ? need(lookup, bn.var, 1, error) : nullptr;
  if (!v)
    return false;
  for (const resc::Tensor *t : {g, b, m, v})
    if (t->shape[0] != channels) {
      error = "batch norm parameter of shape " + resc::shapeToString(t->shape) +
              " does not fit " + std::to_string(channels) + " channels";
      return false;
    }
  scale.resize(channels);
  shift.resize(channels);
  for (int64_t c = 0; c < channels; ++c) {
    scale[c] = double(g->data[c]) / std::sqrt(double(v->data[c]) + bn.epsilon);
    shift[c] = double(b->data[c]) - double(m->data[c]) * scale[c];
  }
  return true;
}

} // namespace

bool packParam(const PackRecipe &recipe, const ParamLookup &lookup,
               AlignedFloats &out, std::string &error) {
  std::vector<double> scale, shift;
  switch (recipe.kind) {
  case PackRecipe::ConvWeight: {
    // A dense layer applied per pixel packs its [O, I] weight as the
    // [O, I, 1, 1] filter of a 1x1 convolution.
    const resc::Tensor *found = lookup(recipe.weight);
    const bool dense = found && found->rank() == 2;
    const resc::Tensor *w = need(lookup, recipe.weight, dense ? 2 : 4, error);
    if (!w)
      return false;
    const int64_t O = w->shape[0], I = w->shape[1];
    const int64_t KH = dense ? 1 : w->shape[2], KW = dense ? 1 : w->shape[3],
                  taps = KH * KW;
    if (recipe.batchNorm && !batchNormCoefficients(*recipe.batchNorm, O, lookup,
                                                   scale, shift, error))
      return false;
    const BlockedConvWeight layout(out, O, I, KW, KH);
    const int64_t B = kConvWeightBlock;
    // One block at a time, so that the writes are whole cache lines and the
    // reads 16 streams through the source (the training step packs its
    // convolutions' weights at every step). Source tap t = ky * KW + kx is
    // the packed (kx, ky) too.
    for (int64_t o0 = 0; o0 < O; o0 += B) {
      const int64_t o1 = std::min(O, o0 + B);
      for (int64_t i = 0; i < I; ++i)
        for (int64_t t = 0; t < taps; ++t) {
          float *dst = &out[layout.at(o0, i, t)];
          for (int64_t o = o0; o < o1; ++o) {
            const float v = w->data[(o * I + i) * taps + t];
            dst[o - o0] = recipe.batchNorm ? float(double(v) * scale[o]) : v;
          }
        }
    }
    return true;
  }
  case PackRecipe::DenseWeight: {
    const resc::Tensor *w = need(lookup, recipe.weight, 2, error);
    if (!w)
      return false;
    const int64_t O = w->shape[0], I = w->shape[1];
    if (recipe.batchNorm && !batchNormCoefficients(*recipe.batchNorm, O, lookup,
                                                   scale, shift, error))
      return false;
    // Every element is written below: no need to clear a reused buffer.
    out.resize(size_t(O * I));
    // A transposition, done in blocks of 16 output channels so that both
    // sides touch whole cache lines: 16 streams through the source.
    for (int64_t o0 = 0; o0 < O; o0 += 16) {
      const int64_t o1 = std::min(O, o0 + 16);
      for (int64_t i = 0; i < I; ++i)
        for (int64_t o = o0; o < o1; ++o) {
          const float v = w->data[o * I + i];
          out[i * O + o] = recipe.batchNorm ? float(double(v) * scale[o]) : v;
        }
    }
    return true;
  }
  case PackRecipe::WinogradWeight: {
    const resc::Tensor *w = need(lookup, recipe.weight, 4, error);
    if (!w)
      return false;
    const int64_t O = w->shape[0], I = w->shape[1];
    if (w->shape[2] != 3 || w->shape[3] != 3) {
      error = "parameter '" + recipe.weight + "' has shape " +
              resc::shapeToString(w->shape) +
              ", the Winograd convolution needs a 3x3 window";
      return false;
    }
    if (recipe.batchNorm && !batchNormCoefficients(*recipe.batchNorm, O, lookup,
                                                   scale, shift, error))
      return false;
    const BlockedConvWeight layout(out, O, I, 4, 4);
    // U = G g G^T; G's rows are (1, 0, 0), (1, 1, 1) / 2, (1, -1, 1) / 2
    // and (0, 0, 1). Rows of g (and of U) run along y, columns along x.
    static const double G[4][3] = {
        {1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
    for (int64_t o = 0; o < O; ++o)
      for (int64_t i = 0; i < I; ++i) {
        // A folded batch norm scales the 3x3 weights first, rounded to f32:
        // the weights res-fold-bn writes into the IR when the values are
        // bound, so that both paths give the same kernel bit for bit.
        const float *source = &w->data[(o * I + i) * 9];
        float g[9];
        for (int k = 0; k < 9; ++k)
          g[k] = recipe.batchNorm ? float(double(source[k]) * scale[o])
                                  : source[k];
        double gt[3][4]; // g G^T: [ky][u]
        for (int ky = 0; ky < 3; ++ky)
          for (int u = 0; u < 4; ++u)
            gt[ky][u] = G[u][0] * g[ky * 3] + G[u][1] * g[ky * 3 + 1] +
                        G[u][2] * g[ky * 3 + 2];
        for (int vRow = 0; vRow < 4; ++vRow)
          for (int u = 0; u < 4; ++u) {
            const double v = G[vRow][0] * gt[0][u] + G[vRow][1] * gt[1][u] +
                             G[vRow][2] * gt[2][u];
            out[layout.at(o, i, vRow * 4 + u)] = float(v);
          }
      }
    return true;
  }
  case PackRecipe::Bias: {
    const int64_t C = recipe.channels;
    const resc::Tensor *b = nullptr;
    if (!recipe.bias.empty()) {
      b = need(lookup, recipe.bias, 1, error);
      if (!b)
        return false;
      if (b->shape[0] != C) {
        error = "bias '" + recipe.bias + "' has shape " +
                resc::shapeToString(b->shape) + ", expected [" +
                std::to_string(C) + "]";
        return false;
      }
    }
    if (recipe.batchNorm && !batchNormCoefficients(*recipe.batchNorm, C, lookup,
                                                   scale, shift, error))
      return false;
    out.assign(C, 0.0f);
    for (int64_t c = 0; c < C; ++c) {
      double v = b ? double(b->data[c]) : 0.0;
      if (recipe.batchNorm)
        v = v * scale[c] + shift[c];
      out[c] = float(v);
    }
    return true;
  }
  case PackRecipe::BatchNormScale:
  case PackRecipe::BatchNormShift: {
    if (!recipe.batchNorm ||
        !batchNormCoefficients(*recipe.batchNorm, recipe.channels, lookup,
                               scale, shift, error))
      return false;
    const std::vector<double> &src =
        recipe.kind == PackRecipe::BatchNormScale ? scale : shift;
    out.assign(src.begin(), src.end());
    return true;
  }
  case PackRecipe::Raw: {
    const resc::Tensor *t = lookup(recipe.weight);
    if (!t) {
      error = "missing parameter '" + recipe.weight + "'";
      return false;
    }
    out.assign(t->data.begin(), t->data.end());
    return true;
  }
  }
  error = "unknown packing recipe";
  return false;
}

} // namespace format
} // namespace resc
