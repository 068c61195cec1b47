#include "compiler/codegen/KernelDesc.h"

#include "dialect/ResDialect.h"

#include <sstream>

namespace res {
namespace codegen {

std::vector<int> internalExtents(const Dims &d) {
  if (d.size() == 3) // [C, H, W] -> (c, x, y)
    return {int(d[0]), int(d[2]), int(d[1])};
  return std::vector<int>(d.rbegin(), d.rend());
}

int channelIndex(const Dims &d) {
  return d.size() == 3 ? 0 : int(d.size()) - 1;
}

int64_t perSample(const Dims &d) {
  int64_t n = 1;
  for (int64_t v : d)
    n *= v;
  return n;
}

const char *kindName(KernelKind kind) {
  switch (kind) {
  case KernelKind::Conv:
    return "conv";
  case KernelKind::Dense:
    return "dense";
  case KernelKind::Elementwise:
    return "elementwise";
  case KernelKind::MaxPool:
    return "max_pool";
  case KernelKind::AvgPool:
    return "avg_pool";
  case KernelKind::GlobalAvgPool:
    return "global_avg_pool";
  case KernelKind::Upsample:
    return "upsample";
  case KernelKind::Concat:
    return "concat";
  case KernelKind::Softmax:
    return "softmax";
  case KernelKind::Flatten:
    return "flatten";
  case KernelKind::LayerNorm:
    return "layer_norm";
  case KernelKind::ToInternal:
    return "to_internal";
  case KernelKind::FromInternal:
    return "from_internal";
  case KernelKind::TokenView:
    return "token_view";
  case KernelKind::ClassToken:
    return "class_token";
  case KernelKind::PosEmbedding:
    return "pos_embedding";
  case KernelKind::TokenSelect:
    return "token";
  case KernelKind::AttentionHeads:
    return "attention_heads";
  case KernelKind::ClassTokenGrad:
    return "class_token_grad";
  case KernelKind::TokenBatchSum:
    return "token_batch_sum";
  case KernelKind::TokenScatter:
    return "token_grad";
  case KernelKind::AttentionHeadsGrad:
    return "attention_heads_grad";
  case KernelKind::ChannelMean:
    return "channel_mean";
  case KernelKind::ChannelVar:
    return "channel_var";
  case KernelKind::ChannelSum:
    return "channel_sum";
  case KernelKind::BatchNormGradSums:
    return "batch_norm_grad_sums";
  case KernelKind::BatchNormGradGamma:
    return "batch_norm_grad_gamma";
  case KernelKind::BatchNormGrad:
    return "batch_norm_grad";
  case KernelKind::BatchNormTrain:
    return "batch_norm_train";
  case KernelKind::Lerp:
    return "lerp";
  case KernelKind::Scale:
    return "scale";
  case KernelKind::Sum:
    return "sum";
  case KernelKind::ActivationGrad:
    return "activation_grad";
  case KernelKind::ConvGradInput:
    return "conv2d_grad_input";
  case KernelKind::ConvGradWeight:
    return "conv2d_grad_weight";
  case KernelKind::DenseGradInput:
    return "dense_grad_input";
  case KernelKind::DenseGradWeight:
    return "dense_grad_weight";
  case KernelKind::MaxPoolGrad:
    return "max_pool2d_grad";
  case KernelKind::AvgPoolGrad:
    return "avg_pool2d_grad";
  case KernelKind::GlobalAvgPoolGrad:
    return "global_avg_pool_grad";
  case KernelKind::Reshape:
    return "reshape";
  case KernelKind::UpsampleGrad:
    return "upsample_grad";
  case KernelKind::SliceChannels:
    return "slice_channels";
  case KernelKind::SoftmaxGrad:
    return "softmax_grad";
  case KernelKind::ChannelMulGradGate:
    return "channel_mul_grad_gate";
  case KernelKind::LayerNormGrad:
    return "layer_norm_grad";
  case KernelKind::LayerNormGradWeight:
    return "layer_norm_grad_weight";
  case KernelKind::ChannelScaleGradScale:
    return "channel_scale_grad_scale";
  }
  return "?";
}

namespace {
void putDims(std::ostringstream &os, const Dims &d) {
  os << '[';
  for (size_t i = 0; i < d.size(); ++i)
    os << (i ? "x" : "") << d[i];
  os << ']';
}
} // namespace

bool KernelDesc::hasWindow() const {
  switch (kind) {
  case KernelKind::Conv:
  case KernelKind::MaxPool:
  case KernelKind::AvgPool:
  case KernelKind::ConvGradInput:
  case KernelKind::ConvGradWeight:
  case KernelKind::MaxPoolGrad:
  case KernelKind::AvgPoolGrad:
    return true;
  default:
    return false;
  }
}

std::string KernelDesc::key() const {
  std::ostringstream os;
  // Bump when a schedule changes, so that a persistent cache (AOT) never
  // mixes generations.
  os << "v1:" << kindName(kind) << ':';
  for (const Operand &o : operands) {
    os << (o.batched ? (o.cOrder ? 'C' : 'N') : 'P');
    putDims(os, o.dims);
  }
  os << "->";
  putDims(os, result);
  if (hasWindow())
    os << ":k" << kernel[0] << ',' << kernel[1] << ":s" << stride[0] << ','
       << stride[1] << ":p" << padding[0] << ',' << padding[1] << ":d"
       << dilation[0] << ',' << dilation[1] << ":g" << groups;
  if (winograd)
    os << ":winograd";
  if (inPlaceOperand >= 0)
    os << ":inplace" << inPlaceOperand;
  if (kind == KernelKind::Upsample || kind == KernelKind::UpsampleGrad)
    os << ":f" << factor;
  if (!resultBatched)
    os << ":unbatched";
  // The gradient ops' attributes; reals are baked into the code, so they
  // are printed exactly.
  switch (kind) {
  case KernelKind::BatchNormGradSums:
  case KernelKind::BatchNormGradGamma:
  case KernelKind::BatchNormGrad:
  case KernelKind::BatchNormTrain:
  case KernelKind::Lerp:
  case KernelKind::Scale:
  case KernelKind::LayerNormGrad:
  case KernelKind::LayerNormGradWeight:
    os << ":r" << std::hexfloat << real << std::defaultfloat;
    break;
  case KernelKind::LayerNorm:
    os << ":r" << std::hexfloat << real << std::defaultfloat
       << (affine ? ":affine" : ":plain");
    break;
  case KernelKind::ChannelVar:
    os << (unbiased ? ":unbiased" : ":biased");
    break;
  case KernelKind::SliceChannels:
  case KernelKind::TokenSelect:
  case KernelKind::TokenScatter:
    os << ":o" << offset;
    break;
  case KernelKind::AttentionHeads:
  case KernelKind::AttentionHeadsGrad:
    os << ":h" << groups;
    break;
  case KernelKind::ActivationGrad:
    os << ':' << stringifyActivation(act).str();
    break;
  default:
    break;
  }
  for (const EpilogueStage &s : epilogue) {
    switch (s.kind) {
    case EpilogueStage::Affine:
      os << ":affine" << s.operand;
      break;
    case EpilogueStage::Act:
      os << ':' << stringifyActivation(s.act).str();
      break;
    case EpilogueStage::Combine:
      // Scales are baked into the code; print them exactly.
      os << ":combine" << s.operand << '(' << std::hexfloat << s.selfScale
         << ',' << s.otherScale << std::defaultfloat << ')';
      break;
    case EpilogueStage::Gate:
      os << ":gate" << s.operand;
      break;
    case EpilogueStage::ChannelScale:
      os << ":scale" << s.operand;
      break;
    }
  }
  return os.str();
}

double KernelDesc::flopsPerSample() const {
  switch (kind) {
  case KernelKind::Conv: {
    // The direct convolution's multiply-adds, also for a Winograd kernel
    // (whose weight operand is 4x4), so GFLOP/s compare across algorithms
    // and with other frameworks.
    return 2.0 * double(perSample(result)) *
           double(operands[0].dims[0] / groups * kernel[0] * kernel[1]);
  }
  case KernelKind::Dense:
    // Per position for [N, T, D] and [N, C, H, W] (perSample counts them).
    return 2.0 * double(perSample(result)) * double(operands[0].dims[0]);
  case KernelKind::ConvGradInput: {
    // The forward conv's multiply-adds: every (output, tap) pair once.
    const Dims &dy = operands[0].dims, &w = operands[1].dims; // (kw,kh,c,o)
    return 2.0 * double(perSample(dy)) * double(w[0] * w[1] * w[2]);
  }
  case KernelKind::ConvGradWeight: {
    const Dims &dy = operands[1].dims; // [O, OH, OW]
    return 2.0 * double(perSample(dy)) *
           double(result[1] * result[2] * result[3]);
  }
  case KernelKind::DenseGradInput:
    return 2.0 * double(perSample(result)) * double(operands[0].dims[0]);
  case KernelKind::DenseGradWeight:
    // Every position of x ([I] or [I, H, W]) meets every output.
    return 2.0 * double(result[0]) * double(perSample(operands[0].dims));
  case KernelKind::AttentionHeads: {
    // q k^T and the weights times v: 2 T^2 D multiply-adds.
    const double t = double(result[2]);
    return 2.0 * 2.0 * t * t * double(result[0]);
  }
  case KernelKind::AttentionHeadsGrad: {
    // q k^T again, dO v^T, and dq, dk, dv: 5 T^2 D multiply-adds.
    const double t = double(result[2]);
    return 2.0 * 5.0 * t * t * double(result[0] / 3);
  }
  case KernelKind::LayerNorm:
    // Per element: the two sums (one add, a subtract and a multiply-add),
    // the normalisation (a subtract and a multiply), the affine's
    // multiply-add.
    return (affine ? 8.0 : 6.0) * double(perSample(result));
  default:
    return 0.0;
  }
}

} // namespace codegen
} // namespace res
