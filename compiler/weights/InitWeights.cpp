// Seeded initialisation (see InitWeights.h and docs/weights.md).
#include "compiler/weights/InitWeights.h"

#include "dialect/ResDialect.h"

#include "resc/Random.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <set>

using namespace mlir;

namespace res {

const char *roleName(ParamRole role) {
  switch (role) {
  case ParamRole::ConvWeight:
    return "conv weight";
  case ParamRole::DenseWeight:
    return "dense weight";
  case ParamRole::Bias:
    return "bias";
  case ParamRole::NormWeight:
    return "norm weight";
  case ParamRole::NormBias:
    return "norm bias";
  case ParamRole::RunningMean:
    return "batch_norm running_mean";
  case ParamRole::RunningVar:
    return "batch_norm running_var";
  case ParamRole::LayerScale:
    return "channel_scale scale";
  case ParamRole::Embedding:
    return "token embedding";
  case ParamRole::Unused:
    return "unused";
  }
  return "unknown";
}

/// The role of operand `index` of `user`, or Unused when the operand is not
/// a parameter slot resc knows.
static ParamRole roleOfOperand(Operation *user, unsigned index) {
  if (isa<Conv2DOp>(user)) {
    if (index == 1)
      return ParamRole::ConvWeight;
    if (index == 2)
      return ParamRole::Bias;
  } else if (isa<DenseOp>(user)) {
    if (index == 1)
      return ParamRole::DenseWeight;
    if (index == 2)
      return ParamRole::Bias;
  } else if (isa<BatchNormOp>(user)) {
    static const ParamRole roles[] = {
        ParamRole::Unused, ParamRole::NormWeight, ParamRole::NormBias,
        ParamRole::RunningMean, ParamRole::RunningVar};
    if (index < 5)
      return roles[index];
  } else if (auto ln = dyn_cast<LayerNormOp>(user)) {
    if (ln.getWeight() && index == 1)
      return ParamRole::NormWeight;
    if (ln.getBias() && index == 2)
      return ParamRole::NormBias;
  } else if (isa<ChannelScaleOp>(user)) {
    if (index == 1)
      return ParamRole::LayerScale;
  } else if (isa<ClassTokenOp, PosEmbeddingOp>(user)) {
    if (index == 1)
      return ParamRole::Embedding;
  } else if (auto attn = dyn_cast<AttentionOp>(user)) {
    Value operand = user->getOperand(index);
    if (operand == attn.getInWeight() || operand == attn.getOutWeight())
      return ParamRole::DenseWeight;
    if (operand == attn.getInBias() || operand == attn.getOutBias())
      return ParamRole::Bias;
  } else if (auto fold = dyn_cast<FoldBatchNormParamsOp>(user)) {
    // res-fold-bn's run-time folding reads the layer's weight and bias and
    // the norm's four parameters: seeded as the model as written seeds them
    // (weights and running variances of 0 made every output 0).
    if (index == 0)
      return cast<RankedTensorType>(fold.getWeight().getType()).getRank() == 4
                 ? ParamRole::ConvWeight
                 : ParamRole::DenseWeight;
    static const ParamRole roles[] = {
        ParamRole::Unused,      ParamRole::NormWeight, ParamRole::NormBias,
        ParamRole::RunningMean, ParamRole::RunningVar, ParamRole::Bias};
    if (index < 6)
      return roles[index];
  } else if (auto fused = dyn_cast<FusedConv2DOp>(user)) {
    // input, weight, then the optional bias and residual.
    if (index == 1)
      return ParamRole::ConvWeight;
    if (index == 2 && fused.getBias())
      return ParamRole::Bias;
  }
  return ParamRole::Unused;
}

bool inferParamRoles(ModuleOp module, std::map<std::string, ParamRole> &roles,
                     std::string &error) {
  // Every role of every parameter first, so that a conflict is reported the
  // same way whatever the order of the uses.
  std::map<std::string, std::set<ParamRole>> uses;
  for (auto param : module.getOps<ParamOp>())
    uses[param.getSymName().str()];
  module.walk([&](WeightOp weight) {
    auto found = uses.find(weight.getParam().str());
    if (found == uses.end())
      return; // the verifier reports unknown symbols
    for (OpOperand &use : weight.getResult().getUses()) {
      ParamRole role = roleOfOperand(use.getOwner(), use.getOperandNumber());
      if (role != ParamRole::Unused)
        found->second.insert(role);
    }
  });
  for (const auto &[name, set] : uses) {
    if (set.size() > 1) {
      error = "parameter '" + name + "' is used both as a " +
              roleName(*set.begin()) + " and as a " +
              roleName(*std::next(set.begin())) +
              "; seeded initialisation cannot serve both (give --weights)";
      return false;
    }
    roles[name] = set.empty() ? ParamRole::Unused : *set.begin();
  }
  return true;
}

double heStd(const std::vector<int64_t> &shape) {
  double fanIn = 1;
  for (size_t i = 1; i < shape.size(); ++i)
    fanIn *= static_cast<double>(shape[i]);
  return fanIn > 0 ? std::sqrt(2.0 / fanIn) : 0.0;
}

/// Fills `tensor` with std * N(0, 1) drawn from the stream of `key`.
static void fillNormal(resc::Tensor &tensor, uint64_t seed,
                       const std::string &key, double std) {
  resc::Random random(seed, key);
  for (float &v : tensor.data)
    v = static_cast<float>(std * random.normal());
}

resc::Tensor initParam(const std::string &name,
                       const std::vector<int64_t> &shape, ParamRole role,
                       uint64_t seed, double fill) {
  resc::Tensor tensor(shape, 0.0f);
  switch (role) {
  case ParamRole::ConvWeight:
  case ParamRole::DenseWeight:
    fillNormal(tensor, seed, name, heStd(shape));
    break;
  case ParamRole::NormWeight:
  case ParamRole::RunningVar:
    std::fill(tensor.data.begin(), tensor.data.end(), 1.0f);
    break;
  case ParamRole::LayerScale:
    std::fill(tensor.data.begin(), tensor.data.end(), float(fill));
    break;
  case ParamRole::Embedding:
    // As torchvision's pos_embedding; its class token starts at zeros,
    // which would hide it from every test of seeded weights.
    fillNormal(tensor, seed, name, 0.02);
    break;
  case ParamRole::Bias:
  case ParamRole::NormBias:
  case ParamRole::RunningMean:
    break;
  case ParamRole::Unused:
    // Not read by any op resc knows: a matrix or larger gets He like a
    // weight, anything smaller zeros like a bias. Only hand-written IR gets
    // here; the frontend never declares a parameter it does not read.
    if (shape.size() >= 2)
      fillNormal(tensor, seed, name, heStd(shape));
    break;
  }
  return tensor;
}

bool initParams(ModuleOp module, uint64_t seed, resc::TensorMap &out,
                std::string &error, bool includeBound) {
  std::map<std::string, ParamRole> roles;
  if (!inferParamRoles(module, roles, error))
    return false;
  // A layer scale starts at its channel_scale's `init`; two scales that
  // share a parameter must agree on it.
  std::map<std::string, double> fills;
  bool agree = true;
  module.walk([&](ChannelScaleOp cs) {
    auto w = cs.getScale().getDefiningOp<WeightOp>();
    if (!w || !agree)
      return;
    double init = cs.getInit().convertToDouble();
    auto [it, first] = fills.try_emplace(w.getParam().str(), init);
    if (!first && it->second != init) {
      error = "parameter '" + it->first +
              "' is the scale of channel_scales with different init values";
      agree = false;
    }
  });
  if (!agree)
    return false;
  for (auto param : module.getOps<ParamOp>()) {
    std::string name = param.getSymName().str();
    if (param.getValueAttr()) {
      if (!includeBound)
        continue;
      if (!boundValue(param, out[name], error))
        return false;
      continue;
    }
    auto type = cast<RankedTensorType>(param.getType());
    std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
    int64_t numel = resc::checkedNumel(shape);
    if (numel < 0 || numel > kMaxSeededElements) {
      error = "parameter '" + name + "' of shape " +
              resc::shapeToString(shape) +
              " is too large to seed (at most 2^31 elements)";
      return false;
    }
    auto fill = fills.find(name);
    out[name] = initParam(name, shape, roles[name], seed,
                          fill == fills.end() ? 1.0 : fill->second);
  }
  return true;
}

resc::Tensor seededInput(const std::string &name,
                         const std::vector<int64_t> &shape, uint64_t seed) {
  resc::Tensor tensor(shape, 0.0f);
  fillNormal(tensor, seed, "input:" + name, 1.0);
  return tensor;
}

} // namespace res
