// The training kernels, one description at a time, against reference loops
// in double precision written from the op definitions of the gradient
// design (channel statistics, batch-norm gradients, the convolution, dense,
// pooling and pointwise vector-Jacobian products), at batch sizes 1 and 3
// through one compiled kernel, with shapes that leave vector tails, strides,
// padding, dilation and groups. Each GPU schedule is lowered for host-cuda
// (compile-checked; no device is needed).
#include "CodegenTestUtil.h"

#include "compiler/codegen/KernelCache.h"
#include "compiler/codegen/Kernels.h"
#include "compiler/interpreter/Interpreter.h"
#include "format/WeightPacking.h"

#include "compiler/passes/Passes.h"
#include "dialect/ResDialect.h"

#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <set>
#include <sstream>

using namespace res;
using namespace res::codegen;

namespace {

/// A logical tensor in C order; batched ones include the batch dim.
struct Ref {
  std::vector<int64_t> shape;
  std::vector<double> v;
  explicit Ref(std::vector<int64_t> s = {}) : shape(std::move(s)) {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    v.assign(size_t(n), 0.0);
  }
  int64_t flat(const std::vector<int64_t> &i) const {
    int64_t f = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      f = f * shape[d] + i[d];
    return f;
  }
  double &operator()(const std::vector<int64_t> &i) { return v[flat(i)]; }
  double operator()(const std::vector<int64_t> &i) const { return v[flat(i)]; }
};

Ref random(std::vector<int64_t> shape, uint32_t seed, double lo = -1,
           double hi = 1) {
  Ref r(std::move(shape));
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  for (double &x : r.v)
    x = float(dist(gen)); // representable in f32: the kernel sees the same
  return r;
}

/// Visits every index of `shape` in C order.
void forEach(const std::vector<int64_t> &shape,
             const std::function<void(const std::vector<int64_t> &)> &f) {
  std::vector<int64_t> i(shape.size(), 0);
  int64_t total = 1;
  for (int64_t d : shape)
    total *= d;
  for (int64_t k = 0; k < total; ++k) {
    f(i);
    for (int d = int(shape.size()) - 1; d >= 0; --d) {
      if (++i[d] < shape[d])
        break;
      i[d] = 0;
    }
  }
}

/// Halide coordinates of a logical index: the internal layout of a batched
/// NCHW tensor is (c, w, h, n); everything else is C order reversed.
std::vector<int> coords(const std::vector<int64_t> &i, bool batched) {
  if (batched && i.size() == 4)
    return {int(i[1]), int(i[3]), int(i[2]), int(i[0])};
  return std::vector<int>(i.rbegin(), i.rend());
}

Operand batchedOperand(const Ref &r) {
  Operand o;
  o.dims.assign(r.shape.begin() + 1, r.shape.end());
  return o;
}

Operand unbatchedOperand(const Ref &r) {
  Operand o;
  o.batched = false;
  o.dims.assign(r.shape.rbegin(), r.shape.rend());
  return o;
}

struct Case {
  KernelDesc desc;
  std::vector<Ref> operands; // at one batch size
};

/// Runs `desc` on `operands` and returns the result as a Ref of `shape`.
Ref runKernel(const KernelDesc &desc, const std::vector<Ref> &operands,
              const std::vector<int64_t> &shape, std::string &error) {
  std::string compileError;
  // HL_JIT_TARGET picks the target, as for the JIT: codegen.GradKernels
  // .Dense.avx2 runs these kernels with AVX2's schedules.
  auto kernel = res::codegen::testing::sharedCache()->get(
      desc, Halide::get_jit_target_from_environment(), compileError);
  if (!kernel) {
    error = compileError;
    return Ref(shape);
  }
  const int64_t batch = desc.resultBatched ? shape[0] : 1;
  std::vector<std::vector<float>> storage;
  std::vector<Halide::Buffer<float>> buffers;
  for (size_t k = 0; k < operands.size(); ++k) {
    const Ref &r = operands[k];
    const Operand &o = desc.operands[k];
    storage.emplace_back(r.v.size());
    Halide::Buffer<float> b = CompiledKernel::wrap(o, storage.back().data(),
                                                   o.batched ? r.shape[0] : 1);
    forEach(r.shape, [&](const std::vector<int64_t> &i) {
      b(coords(i, o.batched).data()) = float(r(i));
    });
    buffers.push_back(b);
  }
  Ref out(shape);
  std::vector<float> result(out.v.size(), std::nanf(""));
  Halide::Buffer<float> rb =
      CompiledKernel::wrapResult(desc, result.data(), batch);
  error = kernel->run(buffers, rb);
  forEach(shape, [&](const std::vector<int64_t> &i) {
    out(i) = rb(coords(i, desc.resultBatched).data());
  });
  return out;
}

double relError(const Ref &got, const Ref &want) {
  double maxErr = 0, maxVal = 0;
  for (size_t i = 0; i < want.v.size(); ++i) {
    double e = std::abs(got.v[i] - want.v[i]);
    if (!(e <= maxErr))
      maxErr = e;
    maxVal = std::max(maxVal, std::abs(want.v[i]));
  }
  return maxVal > 0 ? maxErr / maxVal : maxErr;
}

/// Builds the operands at `batch`, runs the kernel, compares with `ref`.
void check(const KernelDesc &desc,
           const std::function<std::vector<Ref>(int64_t)> &make,
           const std::function<Ref(const std::vector<Ref> &)> &ref,
           std::vector<int64_t> batches = {1, 3}) {
  for (int64_t batch : batches) {
    std::vector<Ref> ops = make(batch);
    Ref want = ref(ops);
    std::string error;
    Ref got = runKernel(desc, ops, want.shape, error);
    ASSERT_EQ(error, "") << desc.key();
    EXPECT_LE(relError(got, want), 1e-4) << desc.key() << " at batch " << batch;
  }
  // The GPU schedule of each kind lowers for CUDA (once per kind and
  // result batching: the schedules do not depend on the shapes otherwise,
  // and CUDA compiles are slow).
  static std::set<std::pair<KernelKind, bool>> lowered;
  if (!lowered.insert({desc.kind, desc.resultBatched}).second)
    return;
  Halide::Target cuda =
      Halide::get_host_target().with_feature(Halide::Target::CUDA);
  HalideKernel gpu = buildKernel(desc, cuda);
  std::vector<Halide::Argument> args(gpu.inputs.begin(), gpu.inputs.end());
  EXPECT_NO_THROW(gpu.pipeline.compile_to_module(args, "gpu_check", cuda))
      << desc.key();
}

//===----------------------------------------------------------------------===//
// Reference loops
//===----------------------------------------------------------------------===//

/// Per-channel sum over every dim but 1 of f(index).
std::vector<double>
channelSum(const std::vector<int64_t> &shape,
           const std::function<double(const std::vector<int64_t> &)> &f) {
  std::vector<double> s(size_t(shape[1]), 0.0);
  forEach(shape, [&](const std::vector<int64_t> &i) { s[i[1]] += f(i); });
  return s;
}

double perChannel(const std::vector<int64_t> &shape) {
  double n = 1;
  for (size_t d = 0; d < shape.size(); ++d)
    if (d != 1)
      n *= double(shape[d]);
  return n;
}

Ref vec(const std::vector<double> &v) {
  Ref r({int64_t(v.size())});
  r.v = v;
  return r;
}

std::vector<double> meanOf(const Ref &x) {
  std::vector<double> s = channelSum(x.shape, [&](auto &i) { return x(i); });
  for (double &m : s)
    m /= perChannel(x.shape);
  return s;
}

std::vector<double> varOf(const Ref &x, const std::vector<double> &mean,
                          bool unbiased) {
  std::vector<double> s = channelSum(x.shape, [&](auto &i) {
    double d = x(i) - mean[i[1]];
    return d * d;
  });
  double n = perChannel(x.shape) - (unbiased ? 1 : 0);
  for (double &v : s)
    v /= n;
  return s;
}

KernelDesc describe(KernelKind kind, const std::vector<Ref> &ops,
                    std::vector<bool> batched, Dims result) {
  KernelDesc d;
  d.kind = kind;
  for (size_t i = 0; i < ops.size(); ++i)
    d.operands.push_back(batched[i] ? batchedOperand(ops[i])
                                    : unbatchedOperand(ops[i]));
  d.result = std::move(result);
  return d;
}

/// Shapes of the channel tests: rank 4 with vector tails, rank 2.
const std::vector<std::vector<int64_t>> kChannelShapes = {
    {5, 6, 7}, {16, 8, 8}, {10}};

std::vector<int64_t> withBatch(int64_t n, const std::vector<int64_t> &dims) {
  std::vector<int64_t> s = {n};
  s.insert(s.end(), dims.begin(), dims.end());
  return s;
}

TEST(GradKernels, ChannelMeanSumVar) {
  for (const auto &dims : kChannelShapes) {
    const int64_t C = dims[0];
    auto make = [&](int64_t n) {
      Ref x = random(withBatch(n, dims), 1, -2, 3);
      return std::vector<Ref>{x};
    };
    KernelDesc mean = describe(KernelKind::ChannelMean, make(1), {true}, {C});
    mean.resultBatched = false;
    check(mean, make, [](auto &ops) { return vec(meanOf(ops[0])); });
    KernelDesc sum = mean;
    sum.kind = KernelKind::ChannelSum;
    check(sum, make, [](auto &ops) {
      return vec(channelSum(ops[0].shape, [&](auto &i) { return ops[0](i); }));
    });
    for (bool unbiased : {false, true}) {
      auto makeVar = [&](int64_t n) {
        Ref x = random(withBatch(n, dims), 2, -2, 3);
        return std::vector<Ref>{x, vec(meanOf(x))};
      };
      KernelDesc var =
          describe(KernelKind::ChannelVar, makeVar(1), {true, false}, {C});
      var.resultBatched = false;
      var.unbiased = unbiased;
      // Rank 2 at batch 1 has one value per channel: an error, tested below.
      std::vector<int64_t> batches = dims.size() == 1
                                         ? std::vector<int64_t>{2, 3}
                                         : std::vector<int64_t>{1, 3};
      check(
          var, makeVar,
          [&](auto &ops) { return vec(varOf(ops[0], ops[1].v, unbiased)); },
          batches);
    }
  }
}

TEST(GradKernels, ChannelVarNeedsTwoValuesPerChannel) {
  Ref x = random({1, 6}, 3);
  Ref mean = vec(meanOf(x));
  KernelDesc var =
      describe(KernelKind::ChannelVar, {x, mean}, {true, false}, {6});
  var.resultBatched = false;
  std::string error;
  runKernel(var, {x, mean}, {6}, error);
  EXPECT_NE(error.find("batch norm in training needs more than one value per "
                       "channel"),
            std::string::npos)
      << error;
}

/// dy, x, mean, var of a batch norm in training (biased batch statistics).
std::vector<Ref> bnOperands(int64_t n, const std::vector<int64_t> &dims) {
  Ref dy = random(withBatch(n, dims), 4);
  Ref x = random(withBatch(n, dims), 5, -2, 2);
  std::vector<double> m = meanOf(x);
  return {dy, x, vec(m), vec(varOf(x, m, false))};
}

const double kEps = 1e-5;

/// Per channel: sum(dy), sum(dy * xhat).
std::pair<std::vector<double>, std::vector<double>>
bnSums(const std::vector<Ref> &ops) {
  const Ref &dy = ops[0], &x = ops[1], &mean = ops[2], &var = ops[3];
  auto xhat = [&](const std::vector<int64_t> &i) {
    return (x(i) - mean.v[i[1]]) / std::sqrt(var.v[i[1]] + kEps);
  };
  return {channelSum(dy.shape, [&](auto &i) { return dy(i); }),
          channelSum(dy.shape, [&](auto &i) { return dy(i) * xhat(i); })};
}

TEST(GradKernels, BatchNormGradients) {
  for (const auto &dims : kChannelShapes) {
    const int64_t C = dims[0];
    // Rank 2 at batch 2 normalises every channel to -1 and 1, where the
    // input gradient is exactly 0: batches 3 and 4 test more.
    std::vector<int64_t> batches = dims.size() == 1
                                       ? std::vector<int64_t>{3, 4}
                                       : std::vector<int64_t>{1, 3};
    auto make = [&](int64_t n) { return bnOperands(n, dims); };
    KernelDesc gamma = describe(KernelKind::BatchNormGradGamma, make(2),
                                {true, true, false, false}, {C});
    gamma.resultBatched = false;
    gamma.real = kEps;
    check(
        gamma, make, [](auto &ops) { return vec(bnSums(ops).second); },
        batches);
    KernelDesc sums = gamma;
    sums.kind = KernelKind::BatchNormGradSums;
    sums.result = {2, C};
    check(
        sums, make,
        [&](auto &ops) {
          auto [s0, s1] = bnSums(ops);
          Ref r({2, C});
          std::copy(s0.begin(), s0.end(), r.v.begin());
          std::copy(s1.begin(), s1.end(), r.v.begin() + C);
          return r;
        },
        batches);

    // dx from dy, x, gamma, mean, var and the sums.
    auto makeDx = [&](int64_t n) {
      std::vector<Ref> ops = bnOperands(n, dims);
      auto [s0, s1] = bnSums(ops);
      Ref gammaRef = random({C}, 6, 0.5, 1.5);
      Ref sumsRef({2, C});
      std::copy(s0.begin(), s0.end(), sumsRef.v.begin());
      std::copy(s1.begin(), s1.end(), sumsRef.v.begin() + C);
      // Stored in f32 by the previous kernel.
      for (double &v : sumsRef.v)
        v = float(v);
      return std::vector<Ref>{ops[0], ops[1], gammaRef,
                              ops[2], ops[3], sumsRef};
    };
    KernelDesc dx =
        describe(KernelKind::BatchNormGrad, makeDx(2),
                 {true, true, false, false, false, false}, Dims(dims));
    dx.real = kEps;
    check(
        dx, makeDx,
        [&](auto &ops) {
          const Ref &dy = ops[0], &x = ops[1], &g = ops[2], &mean = ops[3],
                    &var = ops[4], &sums = ops[5];
          const double n = perChannel(dy.shape);
          Ref out(dy.shape);
          forEach(dy.shape, [&](const std::vector<int64_t> &i) {
            const int64_t c = i[1];
            double r = 1 / std::sqrt(var.v[c] + kEps);
            double xhat = (x(i) - mean.v[c]) * r;
            out(i) =
                g.v[c] * r / n * (n * dy(i) - sums.v[c] - xhat * sums.v[C + c]);
          });
          return out;
        },
        batches);

    // The training-mode forward: batch statistics instead of running ones.
    auto makeY = [&](int64_t n) {
      std::vector<Ref> ops = bnOperands(n, dims);
      return std::vector<Ref>{ops[1], random({C}, 7, 0.5, 1.5), random({C}, 8),
                              ops[2], ops[3]};
    };
    KernelDesc y = describe(KernelKind::BatchNormTrain, makeY(2),
                            {true, false, false, false, false}, Dims(dims));
    y.real = kEps;
    check(
        y, makeY,
        [&](auto &ops) {
          Ref out(ops[0].shape);
          forEach(out.shape, [&](const std::vector<int64_t> &i) {
            const int64_t c = i[1];
            out(i) = (ops[0](i) - ops[3].v[c]) / std::sqrt(ops[4].v[c] + kEps) *
                         ops[1].v[c] +
                     ops[2].v[c];
          });
          return out;
        },
        batches);
  }
}

//===----------------------------------------------------------------------===//
// Convolution gradients
//===----------------------------------------------------------------------===//

struct ConvShape {
  int64_t C, O, H, W, KH, KW, sy, sx, py, px, dy, dx, groups;
  int64_t OH() const { return (H + 2 * py - dy * (KH - 1) - 1) / sy + 1; }
  int64_t OW() const { return (W + 2 * px - dx * (KW - 1) - 1) / sx + 1; }
};

const std::vector<ConvShape> kConvShapes = {
    // resnet20's 3x3 layer, a strided one with odd sizes, a 1x1 projection,
    // an asymmetric dilated one, grouped and depthwise, few channels.
    {16, 16, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1},
    {8, 16, 9, 7, 3, 3, 2, 2, 1, 1, 1, 1, 1},
    {16, 32, 8, 8, 1, 1, 2, 2, 0, 0, 1, 1, 1},
    {4, 8, 10, 9, 3, 2, 1, 2, 2, 0, 2, 1, 1},
    {8, 16, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 4},
    {16, 16, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, 16},
    {3, 5, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1},
};

KernelDesc convDesc(KernelKind kind, const ConvShape &s) {
  KernelDesc d;
  d.kind = kind;
  d.stride = {s.sy, s.sx};
  d.padding = {s.py, s.px};
  d.dilation = {s.dy, s.dx};
  d.groups = s.groups;
  d.kernel = {s.KH, s.KW};
  return d;
}

/// Calls f(n, o, c (in the group), ci (global), oh, ow, ih, iw, kh, kw) for
/// every in-bounds (output, tap) pair.
void forEachTap(
    const ConvShape &s, int64_t N,
    const std::function<void(int64_t, int64_t, int64_t, int64_t, int64_t,
                             int64_t, int64_t, int64_t, int64_t, int64_t)> &f) {
  const int64_t Cg = s.C / s.groups, Og = s.O / s.groups;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < s.O; ++o)
      for (int64_t c = 0; c < Cg; ++c)
        for (int64_t oh = 0; oh < s.OH(); ++oh)
          for (int64_t ow = 0; ow < s.OW(); ++ow)
            for (int64_t kh = 0; kh < s.KH; ++kh)
              for (int64_t kw = 0; kw < s.KW; ++kw) {
                int64_t ih = oh * s.sy - s.py + kh * s.dy;
                int64_t iw = ow * s.sx - s.px + kw * s.dx;
                if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W)
                  continue;
                f(n, o, c, (o / Og) * Cg + c, oh, ow, ih, iw, kh, kw);
              }
}

TEST(GradKernels, ConvGradInput) {
  for (const ConvShape &s : kConvShapes) {
    auto make = [&](int64_t n) {
      return std::vector<Ref>{random({n, s.O, s.OH(), s.OW()}, 11),
                              random({s.O, s.C / s.groups, s.KH, s.KW}, 12)};
    };
    KernelDesc d = convDesc(KernelKind::ConvGradInput, s);
    std::vector<Ref> ops = make(1);
    d.operands = {batchedOperand(ops[0]), unbatchedOperand(ops[1])};
    d.result = {s.C, s.H, s.W};
    // resnet20's 3x3 layer (16 channels: one or two vectors) takes the
    // schedule variant with the window's columns innermost, and its rows
    // are little work: tasks of several rows, more when batched (batch 3
    // below runs that specialisation, batch 1 the other).
    const Halide::Target host = Halide::get_host_target();
    if (&s == &kConvShapes[0] && res::codegen::vectorWidth(host) >= 8) {
      const std::string schedule = buildKernel(d, host).schedule;
      EXPECT_NE(schedule.find("window columns innermost"), std::string::npos)
          << schedule;
      EXPECT_NE(schedule.find("when batched"), std::string::npos) << schedule;
    }
    check(d, make, [&](const std::vector<Ref> &ops) {
      const Ref &dy = ops[0], &w = ops[1];
      Ref dx({dy.shape[0], s.C, s.H, s.W});
      forEachTap(
          s, dy.shape[0],
          [&](int64_t n, int64_t o, int64_t c, int64_t ci, int64_t oh,
              int64_t ow, int64_t ih, int64_t iw, int64_t kh, int64_t kw) {
            dx({n, ci, ih, iw}) += dy({n, o, oh, ow}) * w({o, c, kh, kw});
          });
      return dx;
    });
  }
}

TEST(GradKernels, ConvGradWeight) {
  for (const ConvShape &s : kConvShapes) {
    auto make = [&](int64_t n) {
      return std::vector<Ref>{random({n, s.C, s.H, s.W}, 13),
                              random({n, s.O, s.OH(), s.OW()}, 14)};
    };
    KernelDesc d = convDesc(KernelKind::ConvGradWeight, s);
    std::vector<Ref> ops = make(1);
    d.operands = {batchedOperand(ops[0]), batchedOperand(ops[1])};
    d.result = {s.O, s.C / s.groups, s.KH, s.KW};
    d.resultBatched = false;
    // 20 samples: more than the 16 chunks, so a chunk holds two.
    check(d, make,
          [&](const std::vector<Ref> &ops) {
            const Ref &x = ops[0], &dy = ops[1];
            Ref dw({s.O, s.C / s.groups, s.KH, s.KW});
            forEachTap(
                s, x.shape[0],
                [&](int64_t n, int64_t o, int64_t c, int64_t ci, int64_t oh,
                    int64_t ow, int64_t ih, int64_t iw, int64_t kh,
                    int64_t kw) {
                  dw({o, c, kh, kw}) += dy({n, o, oh, ow}) * x({n, ci, ih, iw});
                });
            return dw;
          },
          {1, 3, 20});
  }
}

//===----------------------------------------------------------------------===//
// Dense, pointwise, pooling and data movement gradients
//===----------------------------------------------------------------------===//

TEST(GradKernels, DenseGradients) {
  for (auto [O, I] :
       {std::pair<int64_t, int64_t>{10, 37}, {64, 64}, {3, 2}, {20, 100}}) {
    auto makeIn = [&](int64_t n) {
      return std::vector<Ref>{random({n, O}, 15), random({O, I}, 16)};
    };
    KernelDesc gi =
        describe(KernelKind::DenseGradInput, makeIn(1), {true, false}, {I});
    check(gi, makeIn, [&](const std::vector<Ref> &ops) {
      Ref dx({ops[0].shape[0], I});
      forEach(dx.shape, [&](const std::vector<int64_t> &i) {
        for (int64_t o = 0; o < O; ++o)
          dx(i) += ops[0]({i[0], o}) * ops[1]({o, i[1]});
      });
      return dx;
    });
    auto makeW = [&](int64_t n) {
      return std::vector<Ref>{random({n, I}, 17), random({n, O}, 18)};
    };
    KernelDesc gw =
        describe(KernelKind::DenseGradWeight, makeW(1), {true, true}, {O, I});
    gw.resultBatched = false;
    check(gw, makeW, [&](const std::vector<Ref> &ops) {
      Ref dw({O, I});
      const int64_t N = ops[0].shape[0];
      forEach(dw.shape, [&](const std::vector<int64_t> &i) {
        for (int64_t n = 0; n < N; ++n)
          dw(i) += ops[1]({n, i[0]}) * ops[0]({n, i[1]});
      });
      return dw;
    });
  }
}

// Per pixel on [N, C, H, W] (ConvNeXt's dense layers), the rows are the
// (x, y, n) positions; rows of 13 and 16 give the register tiles of
// positions (a shifted last tile with 13) on AVX2 (4) and AVX-512 (8),
// rows of 5 the row-at-a-time schedule on AVX-512.
TEST(GradKernels, DenseGradientsPerPixel) {
  for (auto [H, W, O, I] : {std::array<int64_t, 4>{3, 5, 10, 37},
                            {3, 5, 3, 2},
                            {2, 13, 20, 100},
                            {1, 13, 8, 48},
                            {8, 16, 8, 48}}) {
    auto makeIn = [&](int64_t n) {
      return std::vector<Ref>{random({n, O, H, W}, 25), random({O, I}, 26)};
    };
    KernelDesc gi = describe(KernelKind::DenseGradInput, makeIn(1),
                             {true, false}, {I, H, W});
    // Every position's multiply-adds count (the profile's GFLOP/s).
    EXPECT_EQ(gi.flopsPerSample(), 2.0 * double(O * I * H * W));
    check(gi, makeIn, [&](const std::vector<Ref> &ops) {
      Ref dx({ops[0].shape[0], I, H, W});
      forEach(dx.shape, [&](const std::vector<int64_t> &i) {
        for (int64_t o = 0; o < O; ++o)
          dx(i) += ops[0]({i[0], o, i[2], i[3]}) * ops[1]({o, i[1]});
      });
      return dx;
    });
    auto makeW = [&](int64_t n) {
      return std::vector<Ref>{random({n, I, H, W}, 27),
                              random({n, O, H, W}, 28)};
    };
    KernelDesc gw =
        describe(KernelKind::DenseGradWeight, makeW(1), {true, true}, {O, I});
    gw.resultBatched = false;
    EXPECT_EQ(gw.flopsPerSample(), 2.0 * double(O * I * H * W));
    check(gw, makeW, [&](const std::vector<Ref> &ops) {
      Ref dw({O, I});
      const int64_t N = ops[0].shape[0];
      forEach(dw.shape, [&](const std::vector<int64_t> &i) {
        for (int64_t n = 0; n < N; ++n)
          for (int64_t y = 0; y < H; ++y)
            for (int64_t x = 0; x < W; ++x)
              dw(i) += ops[1]({n, i[0], y, x}) * ops[0]({n, i[1], y, x});
      });
      return dw;
    });
  }
}

double actGrad(Activation kind, double x) {
  switch (kind) {
  case Activation::identity:
    return 1;
  case Activation::relu:
    return x > 0 ? 1 : 0;
  case Activation::sigmoid: {
    double s = 1 / (1 + std::exp(-x));
    return s * (1 - s);
  }
  case Activation::tanh: {
    double t = std::tanh(x);
    return 1 - t * t;
  }
  case Activation::gelu:
    return 0.5 * (1 + std::erf(x / std::sqrt(2.0))) +
           x * std::exp(-x * x / 2) / std::sqrt(2 * M_PI);
  case Activation::relu6:
    return x > 0 && x < 6 ? 1 : 0;
  case Activation::hardsigmoid:
    return x > -3 && x < 3 ? 1.0 / 6 : 0;
  case Activation::hardswish:
    return x < -3 ? 0 : x <= 3 ? x / 3 + 0.5 : 1;
  case Activation::silu: {
    double s = 1 / (1 + std::exp(-x));
    return s * (1 + x * (1 - s));
  }
  }
  return 0;
}

TEST(GradKernels, ActivationGrad) {
  for (Activation kind :
       {Activation::identity, Activation::relu, Activation::sigmoid,
        Activation::tanh, Activation::gelu, Activation::relu6,
        Activation::hardsigmoid, Activation::hardswish, Activation::silu})
    for (std::vector<int64_t> dims : {std::vector<int64_t>{5, 4, 3}, {19}}) {
      auto make = [&](int64_t n) {
        return std::vector<Ref>{random(withBatch(n, dims), 19),
                                random(withBatch(n, dims), 20, -4.5, 7.5)};
      };
      KernelDesc d = describe(KernelKind::ActivationGrad, make(1), {true, true},
                              Dims(dims));
      d.act = kind;
      check(d, make, [&](const std::vector<Ref> &ops) {
        Ref out(ops[0].shape);
        for (size_t i = 0; i < out.v.size(); ++i)
          out.v[i] = ops[0].v[i] * actGrad(kind, ops[1].v[i]);
        return out;
      });
    }
}

TEST(GradKernels, LerpScaleSum) {
  // Batched and unbatched (running statistics, weight gradients).
  for (bool batched : {true, false}) {
    std::vector<int64_t> dims = {6, 5, 3};
    auto make = [&](int64_t n) {
      std::vector<int64_t> shape = batched ? withBatch(n, dims) : dims;
      return std::vector<Ref>{random(shape, 21), random(shape, 22)};
    };
    Dims result = batched ? Dims(dims) : Dims(dims);
    KernelDesc lerp =
        describe(KernelKind::Lerp, make(1), {batched, batched}, result);
    lerp.resultBatched = batched;
    lerp.real = 0.1;
    std::vector<int64_t> batches =
        batched ? std::vector<int64_t>{1, 3} : std::vector<int64_t>{1};
    check(
        lerp, make,
        [](const std::vector<Ref> &ops) {
          Ref out = ops[0];
          for (size_t i = 0; i < out.v.size(); ++i)
            out.v[i] = 0.9 * ops[0].v[i] + 0.1 * ops[1].v[i];
          return out;
        },
        batches);
    KernelDesc sum = lerp;
    sum.kind = KernelKind::Sum;
    check(
        sum, make,
        [](const std::vector<Ref> &ops) {
          Ref out = ops[0];
          for (size_t i = 0; i < out.v.size(); ++i)
            out.v[i] += ops[1].v[i];
          return out;
        },
        batches);
    KernelDesc scale = lerp;
    scale.kind = KernelKind::Scale;
    scale.operands.pop_back();
    scale.real = -0.25;
    auto makeOne = [&](int64_t n) {
      std::vector<Ref> ops = make(n);
      ops.pop_back();
      return ops;
    };
    check(
        scale, makeOne,
        [](const std::vector<Ref> &ops) {
          Ref out = ops[0];
          for (double &v : out.v)
            v *= -0.25;
          return out;
        },
        batches);
  }
}

struct PoolShape {
  int64_t C, H, W, KH, KW, sy, sx, py, px;
  int64_t OH() const { return (H + 2 * py - KH) / sy + 1; }
  int64_t OW() const { return (W + 2 * px - KW) / sx + 1; }
};

TEST(GradKernels, PoolGradients) {
  for (const PoolShape &s : {PoolShape{8, 8, 8, 2, 2, 2, 2, 0, 0},
                             PoolShape{5, 8, 8, 2, 2, 2, 2, 1, 1},
                             PoolShape{16, 9, 7, 3, 3, 2, 2, 1, 1},
                             PoolShape{3, 6, 6, 3, 2, 1, 2, 1, 0}}) {
    for (bool isMax : {true, false}) {
      auto make = [&](int64_t n) {
        Ref dy = random({n, s.C, s.OH(), s.OW()}, 23);
        Ref x = random({n, s.C, s.H, s.W}, 24);
        // Ties: the first maximum of the window must win.
        for (size_t i = 0; i < x.v.size(); i += 5)
          x.v[i] = 0.5;
        return isMax ? std::vector<Ref>{dy, x} : std::vector<Ref>{dy};
      };
      std::vector<Ref> ops = make(1);
      KernelDesc d;
      d.kind = isMax ? KernelKind::MaxPoolGrad : KernelKind::AvgPoolGrad;
      for (const Ref &r : ops)
        d.operands.push_back(batchedOperand(r));
      d.result = {s.C, s.H, s.W};
      d.kernel = {s.KH, s.KW};
      d.stride = {s.sy, s.sx};
      d.padding = {s.py, s.px};
      check(d, make, [&](const std::vector<Ref> &ops) {
        const Ref &dy = ops[0];
        const int64_t N = dy.shape[0];
        Ref dx({N, s.C, s.H, s.W});
        forEach(dy.shape, [&](const std::vector<int64_t> &i) {
          const int64_t n = i[0], c = i[1], oh = i[2], ow = i[3];
          int64_t bh = -1, bw = -1;
          double best = 0;
          for (int64_t kh = 0; kh < s.KH; ++kh)
            for (int64_t kw = 0; kw < s.KW; ++kw) {
              int64_t ih = oh * s.sy - s.py + kh, iw = ow * s.sx - s.px + kw;
              if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W)
                continue;
              if (!isMax) {
                dx({n, c, ih, iw}) += dy(i) / double(s.KH * s.KW);
                continue;
              }
              double v = ops[1]({n, c, ih, iw});
              if (bh < 0 || v > best) {
                best = v;
                bh = ih;
                bw = iw;
              }
            }
          if (isMax)
            dx({n, c, bh, bw}) += dy(i);
        });
        return dx;
      });
    }
  }
}

TEST(GradKernels, GlobalPoolUpsampleSliceReshape) {
  auto makeG = [](int64_t n) { return std::vector<Ref>{random({n, 6}, 25)}; };
  KernelDesc g =
      describe(KernelKind::GlobalAvgPoolGrad, makeG(1), {true}, {6, 3, 5});
  check(g, makeG, [](const std::vector<Ref> &ops) {
    Ref out({ops[0].shape[0], 6, 3, 5});
    forEach(out.shape, [&](const std::vector<int64_t> &i) {
      out(i) = ops[0]({i[0], i[1]}) / 15.0;
    });
    return out;
  });

  auto makeU = [](int64_t n) {
    return std::vector<Ref>{random({n, 5, 6, 9}, 26)};
  };
  KernelDesc u =
      describe(KernelKind::UpsampleGrad, makeU(1), {true}, {5, 2, 3});
  u.factor = 3;
  check(u, makeU, [](const std::vector<Ref> &ops) {
    Ref out({ops[0].shape[0], 5, 2, 3});
    forEach(ops[0].shape, [&](const std::vector<int64_t> &i) {
      out({i[0], i[1], i[2] / 3, i[3] / 3}) += ops[0](i);
    });
    return out;
  });

  for (std::vector<int64_t> dims : {std::vector<int64_t>{12, 4, 3}, {20}}) {
    auto makeS = [&](int64_t n) {
      return std::vector<Ref>{random(withBatch(n, dims), 27)};
    };
    Dims result = dims;
    result[0] = 5;
    KernelDesc sl =
        describe(KernelKind::SliceChannels, makeS(1), {true}, result);
    sl.offset = 4;
    check(sl, makeS, [&](const std::vector<Ref> &ops) {
      Ref out(withBatch(ops[0].shape[0], result));
      forEach(out.shape, [&](const std::vector<int64_t> &i) {
        std::vector<int64_t> j = i;
        j[1] += 4;
        out(i) = ops[0](j);
      });
      return out;
    });
  }

  // Flatten's gradient ([N, 60] -> [N, 5, 3, 4]) and its inverse.
  for (auto [from, to] :
       {std::pair<std::vector<int64_t>, std::vector<int64_t>>{{60}, {5, 3, 4}},
        {{5, 3, 4}, {60}},
        {{6, 2, 5}, {3, 4, 5}}}) {
    auto makeR = [&](int64_t n) {
      return std::vector<Ref>{random(withBatch(n, from), 28)};
    };
    KernelDesc r = describe(KernelKind::Reshape, makeR(1), {true}, Dims(to));
    check(r, makeR, [&](const std::vector<Ref> &ops) {
      Ref out(withBatch(ops[0].shape[0], to));
      out.v = ops[0].v; // the same C-order elements
      return out;
    });
  }
}

// The gate's gradient of a channel_mul: sum over H and W of dy * x, as
// [C] and as [C, 1, 1] per sample.
TEST(GradKernels, ChannelMulGradGate) {
  for (std::vector<int64_t> gate :
       {std::vector<int64_t>{6}, std::vector<int64_t>{6, 1, 1}}) {
    auto make = [](int64_t n) {
      return std::vector<Ref>{random({n, 6, 5, 7}, 31),
                              random({n, 6, 5, 7}, 32)};
    };
    KernelDesc d = describe(KernelKind::ChannelMulGradGate, make(1),
                            {true, true}, Dims(gate));
    check(d, make, [&](const std::vector<Ref> &ops) {
      Ref out(withBatch(ops[0].shape[0], gate));
      forEach(ops[0].shape, [&](const std::vector<int64_t> &i) {
        out.v[size_t(i[0] * 6 + i[1])] += ops[0](i) * ops[1](i);
      });
      return out;
    });
  }
}

TEST(GradKernels, SoftmaxGrad) {
  for (std::vector<int64_t> dims : {std::vector<int64_t>{10}, {3, 4, 7}}) {
    auto make = [&](int64_t n) {
      Ref dy = random(withBatch(n, dims), 29);
      Ref y = random(withBatch(n, dims), 30, 0, 1);
      return std::vector<Ref>{dy, y};
    };
    KernelDesc d =
        describe(KernelKind::SoftmaxGrad, make(1), {true, true}, Dims(dims));
    check(d, make, [&](const std::vector<Ref> &ops) {
      const Ref &dy = ops[0], &y = ops[1];
      Ref out(dy.shape);
      const int64_t last = dy.shape.back();
      for (size_t row = 0; row < dy.v.size(); row += last) {
        double dot = 0;
        for (int64_t j = 0; j < last; ++j)
          dot += dy.v[row + j] * y.v[row + j];
        for (int64_t j = 0; j < last; ++j)
          out.v[row + j] = y.v[row + j] * (dy.v[row + j] - dot);
      }
      return out;
    });
  }
}

//===----------------------------------------------------------------------===//
// Layer norm (over dim 1 per sample and pixel) and channel_scale
//===----------------------------------------------------------------------===//

/// Per position (sample, pixel) over dim 1: xhat and 1 / sqrt(var + eps).
std::pair<Ref, Ref> layerNormXhat(const Ref &x) {
  Ref xhat(x.shape), rstd(x.shape);
  const int64_t C = x.shape[1];
  const int64_t inner = int64_t(x.v.size()) / (x.shape[0] * C);
  for (int64_t n = 0; n < x.shape[0]; ++n)
    for (int64_t k = 0; k < inner; ++k) {
      auto at = [&](int64_t c) { return size_t((n * C + c) * inner + k); };
      double m = 0, v = 0;
      for (int64_t c = 0; c < C; ++c)
        m += x.v[at(c)];
      m /= double(C);
      for (int64_t c = 0; c < C; ++c)
        v += (x.v[at(c)] - m) * (x.v[at(c)] - m);
      v /= double(C);
      for (int64_t c = 0; c < C; ++c) {
        rstd.v[at(c)] = 1 / std::sqrt(v + kEps);
        xhat.v[at(c)] = (x.v[at(c)] - m) * rstd.v[at(c)];
      }
    }
  return {xhat, rstd};
}

/// Channel counts that are not multiples of the vector width, rank 4 and 2.
const std::vector<std::vector<int64_t>> kNormShapes = {
    {5, 6, 7}, {16, 3, 5}, {10}, {19}};

TEST(GradKernels, LayerNorm) {
  for (const auto &dims : kNormShapes)
    for (bool affine : {false, true}) {
      const int64_t C = dims[0];
      auto make = [&](int64_t n) {
        std::vector<Ref> ops = {random(withBatch(n, dims), 41, -2, 3)};
        if (affine) {
          ops.push_back(random({C}, 42, 0.5, 1.5));
          ops.push_back(random({C}, 43));
        }
        return ops;
      };
      std::vector<bool> batched = {true, false, false};
      batched.resize(affine ? 3 : 1);
      KernelDesc d =
          describe(KernelKind::LayerNorm, make(1), batched, Dims(dims));
      d.real = kEps;
      d.affine = affine;
      check(d, make, [&](const std::vector<Ref> &ops) {
        Ref out = layerNormXhat(ops[0]).first;
        if (affine)
          forEach(out.shape, [&](const std::vector<int64_t> &i) {
            out(i) = out(i) * ops[1].v[i[1]] + ops[2].v[i[1]];
          });
        return out;
      });
    }
}

TEST(GradKernels, LayerNormGrad) {
  for (const auto &dims : kNormShapes)
    for (bool weighted : {false, true}) {
      const int64_t C = dims[0];
      auto make = [&](int64_t n) {
        std::vector<Ref> ops = {random(withBatch(n, dims), 44),
                                random(withBatch(n, dims), 45, -2, 2)};
        if (weighted)
          ops.push_back(random({C}, 46, 0.5, 1.5));
        return ops;
      };
      std::vector<bool> batched = {true, true, false};
      batched.resize(weighted ? 3 : 2);
      KernelDesc d =
          describe(KernelKind::LayerNormGrad, make(1), batched, Dims(dims));
      d.real = kEps;
      check(d, make, [&](const std::vector<Ref> &ops) {
        const Ref &dy = ops[0], &x = ops[1];
        auto [xhat, rstd] = layerNormXhat(x);
        Ref g(dy.shape), out(dy.shape);
        forEach(dy.shape, [&](const std::vector<int64_t> &i) {
          g(i) = dy(i) * (weighted ? ops[2].v[i[1]] : 1.0);
        });
        const int64_t inner = int64_t(dy.v.size()) / (dy.shape[0] * C);
        for (int64_t n = 0; n < dy.shape[0]; ++n)
          for (int64_t k = 0; k < inner; ++k) {
            auto at = [&](int64_t c) {
              return size_t((n * C + c) * inner + k);
            };
            double mg = 0, mgx = 0;
            for (int64_t c = 0; c < C; ++c) {
              mg += g.v[at(c)];
              mgx += g.v[at(c)] * xhat.v[at(c)];
            }
            mg /= double(C);
            mgx /= double(C);
            for (int64_t c = 0; c < C; ++c)
              out.v[at(c)] =
                  rstd.v[at(c)] * (g.v[at(c)] - mg - xhat.v[at(c)] * mgx);
          }
        return out;
      });
    }
}

TEST(GradKernels, LayerNormGradWeight) {
  for (const auto &dims : kNormShapes) {
    const int64_t C = dims[0];
    auto make = [&](int64_t n) {
      return std::vector<Ref>{random(withBatch(n, dims), 47),
                              random(withBatch(n, dims), 48, -2, 2)};
    };
    KernelDesc d =
        describe(KernelKind::LayerNormGradWeight, make(1), {true, true}, {C});
    d.resultBatched = false;
    d.real = kEps;
    check(d, make, [&](const std::vector<Ref> &ops) {
      Ref xhat = layerNormXhat(ops[1]).first;
      return vec(channelSum(ops[0].shape,
                            [&](auto &i) { return ops[0](i) * xhat(i); }));
    });
  }
}

TEST(GradKernels, ChannelScaleGradScale) {
  for (const auto &dims : kNormShapes) {
    const int64_t C = dims[0];
    Dims scale = dims.size() == 3 ? Dims{C, 1, 1} : Dims{C};
    auto make = [&](int64_t n) {
      return std::vector<Ref>{random(withBatch(n, dims), 49),
                              random(withBatch(n, dims), 50)};
    };
    KernelDesc d = describe(KernelKind::ChannelScaleGradScale, make(1),
                            {true, true}, scale);
    d.resultBatched = false;
    check(d, make, [&](const std::vector<Ref> &ops) {
      Ref out(std::vector<int64_t>(scale.begin(), scale.end()));
      out.v = channelSum(ops[0].shape,
                         [&](auto &i) { return ops[0](i) * ops[1](i); });
      return out;
    });
  }
}

// Token tensors [N, T, D] are [D, 1, T] images in the kernels
// (TokenKernels.cpp); the references index them so: (n, d, 0, t).
TEST(GradKernels, TokenGradients) {
  const int64_t D = 19, T = 13;
  const Dims tokens{D, 1, T};
  // The learned tokens' sums over the batch: the class token's (one) and
  // a position embedding's (all of them).
  for (int64_t K : {int64_t(1), T}) {
    auto make = [&](int64_t n) {
      return std::vector<Ref>{random(withBatch(n, tokens), 80)};
    };
    KernelDesc d =
        describe(KernelKind::TokenBatchSum, make(1), {true}, Dims{1, K, D});
    d.resultBatched = false;
    check(d, make, [&](const std::vector<Ref> &ops) {
      Ref out({1, K, D});
      for (int64_t n = 0; n < ops[0].shape[0]; ++n)
        for (int64_t t = 0; t < K; ++t)
          for (int64_t c = 0; c < D; ++c)
            out({0, t, c}) += ops[0]({n, c, 0, t});
      return out;
    });
  }
  // The class token's input gradient: every token but the first.
  auto withClass = [&](int64_t n) {
    return std::vector<Ref>{random(withBatch(n, Dims{D, 1, T + 1}), 81)};
  };
  check(describe(KernelKind::ClassTokenGrad, withClass(1), {true}, tokens),
        withClass, [&](const std::vector<Ref> &ops) {
          const int64_t N = ops[0].shape[0];
          Ref out({N, D, 1, T});
          for (int64_t n = 0; n < N; ++n)
            for (int64_t c = 0; c < D; ++c)
              for (int64_t t = 0; t < T; ++t)
                out({n, c, 0, t}) = ops[0]({n, c, 0, t + 1});
          return out;
        });
  // token(4)'s gradient: the vector back into token 4 of zeros.
  auto vectors = [&](int64_t n) {
    return std::vector<Ref>{random(withBatch(n, Dims{D}), 82)};
  };
  KernelDesc scatter =
      describe(KernelKind::TokenScatter, vectors(1), {true}, tokens);
  scatter.offset = 4;
  check(scatter, vectors, [&](const std::vector<Ref> &ops) {
    const int64_t N = ops[0].shape[0];
    Ref out({N, D, 1, T});
    for (int64_t n = 0; n < N; ++n)
      for (int64_t c = 0; c < D; ++c)
        out({n, c, 0, 4}) = ops[0]({n, c});
    return out;
  });
}

/// softmax(q k^T s) per head of `qkv` (n, c, 0, t) [3D, 1, T]: P(n, h, t, u).
std::vector<double> attentionProbabilities(const Ref &qkv, int64_t heads) {
  const int64_t N = qkv.shape[0], D = qkv.shape[1] / 3, T = qkv.shape[3];
  const int64_t e = D / heads;
  std::vector<double> p(N * heads * T * T);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t t = 0; t < T; ++t) {
        double *row = &p[((n * heads + h) * T + t) * T], sum = 0;
        for (int64_t u = 0; u < T; ++u) {
          double s = 0;
          for (int64_t j = 0; j < e; ++j)
            s += qkv({n, h * e + j, 0, t}) * qkv({n, D + h * e + j, 0, u});
          sum += row[u] = std::exp(s / std::sqrt(double(e)));
        }
        for (int64_t u = 0; u < T; ++u)
          row[u] /= sum;
      }
  return p;
}

// The heads of attention and their gradient (TokenKernels.cpp,
// TokenGradKernels.cpp) against loops from the definition: 2 and 8
// features per head, sequences shorter and longer than a block of
// queries and than a vector.
TEST(GradKernels, AttentionHeads) {
  for (auto [D, T, heads] :
       {std::tuple<int64_t, int64_t, int64_t>{6, 5, 3}, {16, 11, 2}}) {
    auto make = [&](int64_t n) {
      return std::vector<Ref>{random(withBatch(n, Dims{3 * D, 1, T}), 83)};
    };
    KernelDesc fwd =
        describe(KernelKind::AttentionHeads, make(1), {true}, {D, 1, T});
    fwd.groups = heads;
    const int64_t e = D / heads;
    check(fwd, make, [&](const std::vector<Ref> &ops) {
      const Ref &qkv = ops[0];
      const int64_t N = qkv.shape[0];
      std::vector<double> p = attentionProbabilities(qkv, heads);
      Ref out({N, D, 1, T});
      for (int64_t n = 0; n < N; ++n)
        for (int64_t h = 0; h < heads; ++h)
          for (int64_t t = 0; t < T; ++t)
            for (int64_t u = 0; u < T; ++u)
              for (int64_t j = 0; j < e; ++j)
                out({n, h * e + j, 0, t}) +=
                    p[((n * heads + h) * T + t) * T + u] *
                    qkv({n, 2 * D + h * e + j, 0, u});
      return out;
    });
    auto makeGrad = [&](int64_t n) {
      return std::vector<Ref>{random(withBatch(n, Dims{D, 1, T}), 84),
                              random(withBatch(n, Dims{3 * D, 1, T}), 85)};
    };
    KernelDesc bwd = describe(KernelKind::AttentionHeadsGrad, makeGrad(1),
                              {true, true}, {3 * D, 1, T});
    bwd.groups = heads;
    check(bwd, makeGrad, [&](const std::vector<Ref> &ops) {
      const Ref &dy = ops[0], &qkv = ops[1];
      const int64_t N = qkv.shape[0];
      const double s = 1 / std::sqrt(double(e));
      std::vector<double> p = attentionProbabilities(qkv, heads);
      Ref out({N, 3 * D, 1, T});
      std::vector<double> ds(T * T);
      for (int64_t n = 0; n < N; ++n)
        for (int64_t h = 0; h < heads; ++h) {
          const double *P = &p[(n * heads + h) * T * T];
          for (int64_t t = 0; t < T; ++t) {
            double delta = 0;
            for (int64_t u = 0; u < T; ++u) {
              double dp = 0;
              for (int64_t j = 0; j < e; ++j)
                dp += dy({n, h * e + j, 0, t}) *
                      qkv({n, 2 * D + h * e + j, 0, u});
              ds[t * T + u] = dp;
              delta += P[t * T + u] * dp;
            }
            for (int64_t u = 0; u < T; ++u)
              ds[t * T + u] = P[t * T + u] * (ds[t * T + u] - delta);
          }
          for (int64_t t = 0; t < T; ++t)
            for (int64_t u = 0; u < T; ++u)
              for (int64_t j = 0; j < e; ++j) {
                out({n, h * e + j, 0, t}) +=
                    s * ds[t * T + u] * qkv({n, D + h * e + j, 0, u});
                out({n, D + h * e + j, 0, u}) +=
                    s * ds[t * T + u] * qkv({n, h * e + j, 0, t});
                out({n, 2 * D + h * e + j, 0, u}) +=
                    P[t * T + u] * dy({n, h * e + j, 0, t});
              }
        }
      return out;
    });
  }
}

TEST(GradKernels, KeysTellAttributesApart) {
  KernelDesc a;
  a.kind = KernelKind::Scale;
  a.operands = {Operand{}};
  a.operands[0].dims = {4};
  a.result = {4};
  a.real = 0.5;
  KernelDesc b = a;
  b.real = 0.25;
  EXPECT_NE(a.key(), b.key());
  KernelDesc c = a;
  c.resultBatched = false;
  c.operands[0].batched = false;
  EXPECT_NE(a.key(), c.key());
  KernelDesc v1, v2;
  v1.kind = v2.kind = KernelKind::ChannelVar;
  v2.unbiased = true;
  EXPECT_NE(v1.key(), v2.key());
}

//===----------------------------------------------------------------------===//
// Through the plan and the JIT
//===----------------------------------------------------------------------===//

/// A C-order resc::Tensor of a Ref, and back.
resc::Tensor toTensor(const Ref &r) {
  resc::Tensor t(r.shape);
  for (size_t i = 0; i < r.v.size(); ++i)
    t.data[i] = float(r.v[i]);
  return t;
}

double relError(const resc::Tensor &got, const Ref &want) {
  if (got.shape != want.shape)
    return std::numeric_limits<double>::infinity();
  Ref g(got.shape);
  for (size_t i = 0; i < g.v.size(); ++i)
    g.v[i] = got.data[i];
  return relError(g, want);
}

/// Training-mode batch norm, a convolution and its gradients (taking the
/// convolution's output as its own gradient) in one function,
/// with per-channel statistics, running statistics and weight gradients
/// (results without a batch dim) among its outputs and a sum of two weight
/// gradients, as res-generate-gradients emits for a shared parameter.
TEST(GradJit, TrainingOpsInOneFunction) {
  auto m = res::codegen::testing::fromMlir(R"mlir(
module {
  res.param @w : tensor<8x4x3x3xf32>
  res.param @g : tensor<4xf32>
  res.param @b : tensor<4xf32>
  res.param @rm : tensor<4xf32>
  func.func @m_train(%x: tensor<?x4x7x7xf32>) -> (tensor<?x4x7x7xf32>, tensor<?x4x7x7xf32>, tensor<8x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
    %w = res.weight @w : tensor<8x4x3x3xf32>
    %g = res.weight @g : tensor<4xf32>
    %b = res.weight @b : tensor<4xf32>
    %rm = res.weight @rm : tensor<4xf32>
    %m = res.channel_mean %x : (tensor<?x4x7x7xf32>) -> tensor<4xf32>
    %v = res.channel_var %x, %m : (tensor<?x4x7x7xf32>, tensor<4xf32>) -> tensor<4xf32>
    %u = res.channel_var %x, %m {unbiased} : (tensor<?x4x7x7xf32>, tensor<4xf32>) -> tensor<4xf32>
    %n = res.batch_norm %x, %g, %b, %m, %v {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64} : (tensor<?x4x7x7xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x7x7xf32>
    %rm2 = res.lerp %rm, %m {momentum = 0.25 : f64} : tensor<4xf32>
    %dy = res.conv2d %n, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 2, 2>} : (tensor<?x4x7x7xf32>, tensor<8x4x3x3xf32>) -> tensor<?x8x4x4xf32>
    %dn = res.conv2d_grad_input %dy, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 2, 2>} : (tensor<?x8x4x4xf32>, tensor<8x4x3x3xf32>) -> tensor<?x4x7x7xf32>
    %dw = res.conv2d_grad_weight %n, %dy {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 2, 2>} : (tensor<?x4x7x7xf32>, tensor<?x8x4x4xf32>) -> tensor<8x4x3x3xf32>
    %dwh = res.scale %dw {factor = 0.5 : f64} : tensor<8x4x3x3xf32>
    %dws = res.add %dw, %dwh : tensor<8x4x3x3xf32>, tensor<8x4x3x3xf32>
    %dx = res.batch_norm_grad %dn, %x, %g, %m, %v {epsilon = 1.0e-05 : f64} : (tensor<?x4x7x7xf32>, tensor<?x4x7x7xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x7x7xf32>
    %dg = res.batch_norm_grad_gamma %dn, %x, %m, %v {epsilon = 1.0e-05 : f64} : (tensor<?x4x7x7xf32>, tensor<?x4x7x7xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    %db = res.channel_sum %dn : (tensor<?x4x7x7xf32>) -> tensor<4xf32>
    return %n, %dx, %dws, %dg, %db, %rm2, %u : tensor<?x4x7x7xf32>, tensor<?x4x7x7xf32>, tensor<8x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
  }
}
)mlir");
  ASSERT_TRUE(m->module);
  CompileOptions options;
  options.cache = res::codegen::testing::sharedCache();
  auto compiled = CompiledModel::compile(*m->module, options);
  ASSERT_TRUE(succeeded(compiled)) << m->diagnostics;

  const ConvShape s{4, 8, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, 1};
  Ref w = random({8, 4, 3, 3}, 40), g = random({4}, 41, 0.5, 1.5),
      b = random({4}, 42), rm = random({4}, 43);
  resc::TensorMap params = {{"w", toTensor(w)},
                            {"g", toTensor(g)},
                            {"b", toTensor(b)},
                            {"rm", toTensor(rm)}};
  for (int64_t N : {1, 3}) {
    Ref x = random({N, 4, 7, 7}, 44, -2, 2);
    auto got = compiled->run({toTensor(x)}, params);
    ASSERT_TRUE(succeeded(got)) << m->diagnostics;
    ASSERT_EQ(got->size(), 7u);

    // The references, in double.
    std::vector<double> mean = meanOf(x), var = varOf(x, mean, false);
    Ref n(x.shape);
    forEach(x.shape, [&](const std::vector<int64_t> &i) {
      n(i) = (x(i) - mean[i[1]]) / std::sqrt(var[i[1]] + kEps) * g.v[i[1]] +
             b.v[i[1]];
    });
    Ref dy({N, 8, 4, 4}), dn({N, 4, 7, 7}), dw({8, 4, 3, 3});
    forEachTap(s, N,
               [&](int64_t b, int64_t o, int64_t c, int64_t ci, int64_t oh,
                   int64_t ow, int64_t ih, int64_t iw, int64_t kh, int64_t kw) {
                 dy({b, o, oh, ow}) += n({b, ci, ih, iw}) * w({o, c, kh, kw});
               });
    forEachTap(s, N,
               [&](int64_t b, int64_t o, int64_t c, int64_t ci, int64_t oh,
                   int64_t ow, int64_t ih, int64_t iw, int64_t kh, int64_t kw) {
                 dn({b, ci, ih, iw}) += dy({b, o, oh, ow}) * w({o, c, kh, kw});
                 dw({o, c, kh, kw}) += dy({b, o, oh, ow}) * n({b, ci, ih, iw});
               });
    for (double &v : dw.v)
      v *= 1.5;
    auto [s0, s1] = bnSums({dn, x, vec(mean), vec(var)});
    const double cnt = perChannel(x.shape);
    Ref dx(x.shape);
    forEach(x.shape, [&](const std::vector<int64_t> &i) {
      const int64_t c = i[1];
      double r = 1 / std::sqrt(var[c] + kEps);
      double xhat = (x(i) - mean[c]) * r;
      dx(i) = g.v[c] * r / cnt * (cnt * dn(i) - s0[c] - xhat * s1[c]);
    });
    Ref rm2({4});
    for (int c = 0; c < 4; ++c)
      rm2.v[c] = 0.75 * rm.v[c] + 0.25 * mean[c];
    std::vector<Ref> want = {
        n, dx, dw, vec(s1), vec(s0), rm2, vec(varOf(x, mean, true))};
    for (size_t i = 0; i < want.size(); ++i)
      EXPECT_LE(relError((*got)[i], want[i]), 1e-4)
          << "output " << i << " at batch " << N;
  }
}

/// A per-channel statistic where an activation is needed is refused at the
/// op, with the reason, rather than read as if it had a batch.
TEST(GradJit, StatisticWhereABatchIsNeededIsAnError) {
  auto m = res::codegen::testing::fromMlir(R"mlir(
module {
  func.func @m(%x: tensor<?x4x5x5xf32>) -> tensor<4xf32> {
    %m = res.channel_mean %x : (tensor<?x4x5x5xf32>) -> tensor<4xf32>
    %r = res.activation relu %m : tensor<4xf32>
    return %r : tensor<4xf32>
  }
}
)mlir");
  ASSERT_TRUE(m->module);
  auto compiled = CompiledModel::compile(*m->module);
  EXPECT_TRUE(failed(compiled));
  EXPECT_NE(m->diagnostics.find("needs a tensor with a batch dimension here"),
            std::string::npos)
      << m->diagnostics;
}

/// res-generate-gradients on a model with every kind of block (projection
/// and pooled shortcuts, both scales, training-mode batch norms, a tied
/// repeat whose gradients are summed, pools, flatten, dense, softmax), the
/// training function through the JIT, and its gradients of sum(y * dy)
/// against central differences of its own forward output, at batch 1 and 3.
TEST(GradJit, GeneratedTrainingFunctionMatchesFiniteDifferences) {
  std::string text;
  {
    std::ifstream in(std::string(RESC_SOURCE_DIR) +
                     "/examples/scaled_blocks.res");
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  // The example's blocks in a small model.
  text = text.substr(0, text.find("model scaled_blocks")) + R"res(
model small {
  input x: f32[N, 3, 8, 8]
  conv(8, 3) as stem; relu
  proj(8) as block1
  repeat 2 skipinit(8) as block3
  pooled(16) as block4
  repeat 2 tied euler(16) as ode
  maxpool(2)
  flatten
  dense(5) as fc
  softmax
  output probs
}
)res";
  auto m = res::codegen::testing::fromRes(text);
  ASSERT_TRUE(m->module);
  mlir::PassManager pm(m->context.get());
  pm.addPass(res::createGenerateGradients());
  ASSERT_TRUE(succeeded(pm.run(*m->module))) << m->diagnostics;
  CompileOptions options;
  options.cache = res::codegen::testing::sharedCache();
  options.function = "small_train";
  auto compiled = CompiledModel::compile(*m->module, options);
  ASSERT_TRUE(succeeded(compiled)) << m->diagnostics;
  // The unrolled tied repeat and the repeated blocks share kernels.
  EXPECT_LT(int64_t(compiled->numKernels()) + 10, compiled->numCalls());

  mlir::func::FuncOp fn;
  for (auto f : m->module->getOps<mlir::func::FuncOp>())
    if (f.getName() == "small_train")
      fn = f;
  ASSERT_TRUE(fn);
  // Which result is the gradient of which parameter.
  std::vector<std::pair<std::string, unsigned>> grads;
  for (unsigned i = 0; i < fn.getNumResults(); ++i) {
    auto role = fn.getResultAttrOfType<mlir::StringAttr>(i, "res.role");
    auto name = fn.getResultAttrOfType<mlir::StringAttr>(i, "res.name");
    if (role && name && role.getValue() == "param_grad")
      grads.push_back({name.getValue().str(), i});
  }
  ASSERT_GE(grads.size(), 10u);

  unsigned inputGrad = fn.getNumResults();
  for (unsigned i = 0; i < fn.getNumResults(); ++i)
    if (auto role = fn.getResultAttrOfType<mlir::StringAttr>(i, "res.role"))
      if (role.getValue() == "input_grad")
        inputGrad = i;
  ASSERT_LT(inputGrad, fn.getNumResults());

  resc::TensorMap params = res::codegen::testing::seededParams(*m->module);
  for (int64_t N : {1, 3}) {
    resc::Tensor x = toTensor(random({N, 3, 8, 8}, 50));
    resc::Tensor dy = toTensor(random({N, 5}, 51));
    auto base = compiled->run({x, dy}, params);
    ASSERT_TRUE(succeeded(base)) << m->diagnostics;
    auto objective = [&](const resc::TensorMap &p) {
      auto out = compiled->run({x, dy}, p);
      EXPECT_TRUE(succeeded(out)) << m->diagnostics;
      double f = 0;
      for (size_t i = 0; i < dy.data.size(); ++i)
        f += double((*out)[0].data[i]) * double(dy.data[i]);
      return f;
    };
    // The input's gradient, at three entries.
    {
      const resc::Tensor &g = (*base)[inputGrad];
      ASSERT_EQ(g.shape, x.shape);
      double scale = 0;
      for (float v : g.data)
        scale = std::max(scale, std::abs(double(v)));
      for (size_t k : {size_t(5), g.data.size() / 2, g.data.size() - 3}) {
        const float h = 5e-4f;
        auto at = [&](float delta) {
          std::vector<resc::Tensor> in = {x, dy};
          in[0].data[k] += delta;
          auto out = compiled->run(in);
          EXPECT_TRUE(succeeded(out)) << m->diagnostics;
          double f = 0;
          for (size_t i = 0; i < dy.data.size(); ++i)
            f += double((*out)[0].data[i]) * double(dy.data[i]);
          return f;
        };
        double fd = (at(h) - at(-h)) / (2 * double(h));
        EXPECT_NEAR(g.data[k], fd, 2e-2 * scale + 1e-4)
            << "x[" << k << "] at batch " << N;
      }
    }
    // Three entries of every parameter gradient.
    for (auto [name, result] : grads) {
      const resc::Tensor &g = (*base)[result];
      ASSERT_EQ(g.shape, params.at(name).shape) << name;
      double scale = 0;
      for (float v : g.data)
        scale = std::max(scale, std::abs(double(v)));
      for (size_t k : {size_t(0), g.data.size() / 2, g.data.size() - 1}) {
        const float h = 5e-4f;
        resc::TensorMap p = params;
        p.at(name).data[k] += h;
        double up = objective(p);
        p.at(name).data[k] -= 2 * h;
        double down = objective(p);
        double fd = (up - down) / (2 * double(h));
        EXPECT_NEAR(g.data[k], fd, 2e-2 * scale + 1e-4)
            << name << "[" << k << "] at batch " << N;
      }
    }
  }
}

/// The training function of examples/convnext_mini.res (layer norms over
/// channels and on a vector, layer scales, residual sums) through the JIT
/// against the interpreter: outputs, the input's gradient and every
/// parameter's gradient. About 13 s of JIT compiles: named Generated* so
/// that it runs with the slow tests (tests/codegen/CMakeLists.txt).
TEST(GradJit, GeneratedTrainingWithLayerNormsMatchesInterpreter) {
  std::ifstream in(std::string(RESC_SOURCE_DIR) +
                   "/examples/convnext_mini.res");
  std::stringstream ss;
  ss << in.rdbuf();
  auto m = res::codegen::testing::fromRes(ss.str());
  ASSERT_TRUE(m->module);
  mlir::PassManager pm(m->context.get());
  pm.addPass(res::createGenerateGradients());
  ASSERT_TRUE(succeeded(pm.run(*m->module))) << m->diagnostics;
  CompileOptions options;
  options.cache = res::codegen::testing::sharedCache();
  options.function = "convnext_mini_train";
  auto compiled = CompiledModel::compile(*m->module, options);
  ASSERT_TRUE(succeeded(compiled)) << m->diagnostics;
  mlir::func::FuncOp fn;
  for (auto f : m->module->getOps<mlir::func::FuncOp>())
    if (f.getName() == "convnext_mini_train")
      fn = f;
  ASSERT_TRUE(fn);
  resc::TensorMap params = res::codegen::testing::seededParams(*m->module);
  for (int64_t N : {1, 2}) {
    resc::Tensor x = toTensor(random({N, 3, 32, 32}, 60));
    resc::Tensor dy = toTensor(random({N, 10}, 61));
    auto got = compiled->run({x, dy}, params);
    ASSERT_TRUE(succeeded(got)) << m->diagnostics;
    auto want = res::interpret(fn, {x, dy}, params);
    ASSERT_TRUE(succeeded(want)) << m->diagnostics;
    ASSERT_EQ(got->size(), want->size());
    for (size_t i = 0; i < want->size(); ++i) {
      auto name = fn.getResultAttrOfType<mlir::StringAttr>(i, "res.name");
      EXPECT_LE(res::codegen::testing::relativeError((*got)[i], (*want)[i]),
                1e-4)
          << (name ? name.getValue().str() : "?") << " at batch " << N;
    }
  }
}

/// Not a timed test: GFLOP/s of the two convolution gradients of resnet20's
/// 3x3 16 -> 16 layer at 32x32, batch 64 (run it by name; ctest skips it).
/// A square 3x3 stride-1 layer of `ch` channels at batch `N`.
struct BenchLayer {
  const char *name;
  int64_t ch, hw, N;
};

class GradKernelsBench : public ::testing::TestWithParam<BenchLayer> {};

TEST_P(GradKernelsBench, Layer) {
  const BenchLayer L = GetParam();
  const int64_t C = L.ch, HW = L.hw, N = L.N;
  ConvShape s{C, C, HW, HW, 3, 3, 1, 1, 1, 1, 1, 1, 1};
  // The forward conv of the layer first, for comparison.
  for (KernelKind kind : {KernelKind::Conv, KernelKind::ConvGradInput,
                          KernelKind::ConvGradWeight}) {
    KernelDesc d = convDesc(kind, s);
    Ref big = random({N, C, HW, HW}, 31);
    Ref w = random({C, C, 3, 3}, 32);
    // As packed for the forward conv (a benchmark: the values do not matter).
    Ref packedW = random(resc::format::packedConvWeightDims(C, C, 3, 3), 32);
    std::vector<Ref> ops;
    if (kind == KernelKind::Conv) {
      Ref bias = random({C}, 33);
      ops = {big, packedW, bias};
      d.operands = {batchedOperand(big), unbatchedOperand(packedW),
                    unbatchedOperand(bias)};
      d.operands[1].dims = resc::format::packedConvWeightDims(C, C, 3, 3);
      d.result = {C, HW, HW};
    } else if (kind == KernelKind::ConvGradInput) {
      ops = {big, w};
      d.operands = {batchedOperand(big), unbatchedOperand(w)};
      d.result = {C, HW, HW};
    } else {
      ops = {big, big};
      d.operands = {batchedOperand(big), batchedOperand(big)};
      d.result = {C, C, 3, 3};
      d.resultBatched = false;
    }
    std::string error;
    auto kernel = res::codegen::testing::sharedCache()->get(
        d, Halide::get_host_target(), error);
    ASSERT_TRUE(kernel) << error;
    std::vector<std::vector<float>> storage;
    std::vector<Halide::Buffer<float>> buffers;
    for (size_t i = 0; i < ops.size(); ++i) {
      storage.emplace_back(ops[i].v.begin(), ops[i].v.end());
      buffers.push_back(
          CompiledKernel::wrap(d.operands[i], storage.back().data(), N));
    }
    std::vector<float> result(size_t(std::max(N * C * HW * HW, C * C * 9)));
    Halide::Buffer<float> rb = CompiledKernel::wrapResult(d, result.data(), N);
    ASSERT_EQ(kernel->run(buffers, rb), ""); // warm-up
    const int reps = 5;
    auto begin = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i)
      kernel->run(buffers, rb);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin)
            .count() /
        reps;
    double flops = d.flopsPerSample() * double(N);
    std::printf("%s %s: %.3f ms, %.1f GFLOP/s (%s)\n", L.name, kindName(kind),
                seconds * 1e3, flops / seconds * 1e-9,
                kernel->schedule().c_str());
  }
}

// resnet20's first stage at batch 64; resnet18's first and last at batch 8.
INSTANTIATE_TEST_SUITE_P(
    , GradKernelsBench,
    ::testing::Values(BenchLayer{"resnet20_16x32x32_b64", 16, 32, 64},
                      BenchLayer{"resnet18_64x56x56_b8", 64, 56, 8},
                      BenchLayer{"resnet18_512x7x7_b8", 512, 7, 8}),
    [](const ::testing::TestParamInfo<BenchLayer> &info) {
      return std::string(info.param.name);
    });

} // namespace

/// The training function of a small Vision Transformer (tokens, class
/// token, position embedding, two pre-norm encoder layers with attention,
/// token(0), a head) through the JIT against the interpreter: outputs, the
/// input's gradient and every parameter's gradient, including the
/// attention heads' recomputed backward pass and the learned tokens' sums
/// over the batch.
TEST(GradJit, TokenTrainingMatchesInterpreter) {
  const std::string text =
      "block layer(d, heads, mlp) {\n"
      "  residual { layernorm as ln_1; attention(heads) as attn }\n"
      "  residual { layernorm as ln_2; dense(mlp) as fc1; gelu; "
      "dense(d) as fc2 }\n}\n"
      "model vit {\n  input x: f32[N, 3, 8, 8]\n"
      "  conv(12, 2, stride = 2, pad = 0) as proj\n  tokens\n"
      "  class_token as cls\n  pos_embedding as pos\n"
      "  layer(12, 3, 20) as l0\n  layer(12, 3, 20) as l1\n"
      "  layernorm as ln\n  token(0)\n  dense(5) as head\n}\n";
  auto m = res::codegen::testing::fromRes(text);
  ASSERT_TRUE(m->module);
  mlir::PassManager pm(m->context.get());
  pm.addPass(res::createGenerateGradients());
  ASSERT_TRUE(succeeded(pm.run(*m->module))) << m->diagnostics;
  CompileOptions options;
  options.cache = res::codegen::testing::sharedCache();
  options.function = "vit_train";
  auto compiled = CompiledModel::compile(*m->module, options);
  ASSERT_TRUE(succeeded(compiled)) << m->diagnostics;
  mlir::func::FuncOp fn;
  for (auto f : m->module->getOps<mlir::func::FuncOp>())
    if (f.getName() == "vit_train")
      fn = f;
  ASSERT_TRUE(fn);
  resc::TensorMap params = res::codegen::testing::seededParams(*m->module);
  for (int64_t N : {1, 3}) {
    resc::Tensor x = toTensor(random({N, 3, 8, 8}, 70));
    resc::Tensor dy = toTensor(random({N, 5}, 71));
    auto got = compiled->run({x, dy}, params);
    ASSERT_TRUE(succeeded(got)) << m->diagnostics;
    auto want = res::interpret(fn, {x, dy}, params);
    ASSERT_TRUE(succeeded(want)) << m->diagnostics;
    ASSERT_EQ(got->size(), want->size());
    for (size_t i = 0; i < want->size(); ++i) {
      auto name = fn.getResultAttrOfType<mlir::StringAttr>(i, "res.name");
      EXPECT_LE(res::codegen::testing::relativeError((*got)[i], (*want)[i]),
                1e-4)
          << (name ? name.getValue().str() : "?") << " at batch " << N;
    }
  }
}
