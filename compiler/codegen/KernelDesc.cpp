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
  case KernelKind::ToInternal:
    return "to_internal";
  case KernelKind::FromInternal:
    return "from_internal";
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
  if (kind == KernelKind::Conv || kind == KernelKind::MaxPool ||
      kind == KernelKind::AvgPool)
    os << ":k" << kernel[0] << ',' << kernel[1] << ":s" << stride[0] << ','
       << stride[1] << ":p" << padding[0] << ',' << padding[1] << ":d"
       << dilation[0] << ',' << dilation[1] << ":g" << groups;
  if (kind == KernelKind::Upsample)
    os << ":f" << factor;
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
    }
  }
  return os.str();
}

double KernelDesc::flopsPerSample() const {
  switch (kind) {
  case KernelKind::Conv: {
    const Dims &w = operands[1].dims; // (co, ci/g, kw, kh)
    return 2.0 * double(perSample(result)) * double(w[1] * w[2] * w[3]);
  }
  case KernelKind::Dense:
    return 2.0 * double(result[0]) * double(operands[0].dims[0]);
  default:
    return 0.0;
  }
}

} // namespace codegen
} // namespace res
