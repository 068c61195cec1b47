// `resc info`: a per-layer table of output shapes, parameter counts and
// multiply-adds, with the totals that are compared against torchvision.
#include "compiler/driver/LoadModel.h"
#include "compiler/tools/resc/Commands.h"

#include "compiler/passes/LipschitzBound.h"
#include "compiler/weights/InitWeights.h"

#include "compiler/weights/ParamBinding.h"
#include "dialect/ResDialect.h"
#include "dialect/ShapeRules.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <sstream>

using namespace mlir;

namespace resc::cli {
namespace {

// Hand-written IR may declare shapes whose products overflow int64, so all
// counting saturates at kTooMany (shown as "overflow") instead.
constexpr int64_t kTooMany = std::numeric_limits<int64_t>::max();

int64_t satMul(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_mul_overflow(a, b, &r) ? kTooMany : r;
}

int64_t satAdd(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_add_overflow(a, b, &r) ? kTooMany : r;
}

std::string countString(int64_t value) {
  return value == kTooMany ? "overflow" : withCommas(value);
}

struct Row {
  int depth = 0;
  std::string name, op, shape, params, macs;
};

/// What a subtree costs: multiply-adds per sample (`known` is false when a
/// spatial size is dynamic) and the parameters it reads, as a set so a
/// parameter shared by several ops counts once.
struct Cost {
  int64_t macs = 0;
  bool known = true;
  std::set<std::string> params;

  void add(const Cost &other) {
    macs = satAdd(macs, other.macs);
    known = known && other.known;
    params.insert(other.params.begin(), other.params.end());
  }
};

int64_t paramSize(const res::ParamInfo &param) {
  int64_t n = param.numel();
  return n < 0 ? kTooMany : n;
}

std::string pairString(ArrayRef<int64_t> values) {
  if (values.size() == 2 && values[0] == values[1])
    return std::to_string(values[0]);
  std::string s;
  for (size_t i = 0; i < values.size(); ++i)
    s += (i ? "x" : "") + std::to_string(values[i]);
  return s;
}

/// "3x3", " s2" when strided, and so on: enough to tell layers apart.
std::string windowString(int64_t kh, int64_t kw, ArrayRef<int64_t> stride) {
  std::string s = std::to_string(kh) + "x" + std::to_string(kw);
  if (llvm::any_of(stride, [](int64_t v) { return v != 1; }))
    s += " s" + pairString(stride);
  return s;
}

std::string scaleString(double value) {
  std::string s;
  llvm::raw_string_ostream(s) << llvm::format("%g", value);
  return s;
}

std::string describe(Operation *op) {
  if (auto conv = dyn_cast<res::Conv2DOp>(op)) {
    auto w = cast<RankedTensorType>(conv.getWeight().getType()).getShape();
    std::string s = "conv2d " + windowString(w[2], w[3], conv.getStride());
    if (llvm::any_of(conv.getDilation(), [](int64_t v) { return v != 1; }))
      s += " d" + pairString(conv.getDilation());
    if (conv.getGroups() != 1)
      s += " g" + std::to_string(conv.getGroups());
    return s;
  }
  if (auto act = dyn_cast<res::ActivationOp>(op)) {
    if (auto p = act->getAttrOfType<FloatAttr>(res::kDropoutAttr)) {
      std::ostringstream os;
      os << "dropout p=" << p.getValueAsDouble();
      return os.str();
    }
    return res::stringifyActivation(act.getKind()).str();
  }
  if (auto pool = dyn_cast<res::MaxPool2DOp>(op))
    return "max_pool2d " + windowString(pool.getKernel()[0],
                                        pool.getKernel()[1], pool.getStride());
  if (auto pool = dyn_cast<res::AvgPool2DOp>(op))
    return "avg_pool2d " + windowString(pool.getKernel()[0],
                                        pool.getKernel()[1], pool.getStride());
  if (auto up = dyn_cast<res::UpsampleOp>(op))
    return "upsample x" + std::to_string(up.getFactor());
  if (auto attn = dyn_cast<res::AttentionOp>(op))
    return "attention h" + std::to_string(attn.getHeads());
  if (auto tok = dyn_cast<res::TokenOp>(op))
    return "token " + std::to_string(tok.getIndex());
  if (auto block = dyn_cast<res::ResidualOp>(op)) {
    std::string s = "residual";
    if (auto after = block.getAfter())
      s += " +" + res::stringifyActivation(*after).str();
    double h = block.getBranchScale().convertToDouble();
    double a = block.getOutputScale().convertToDouble();
    if (h != 1.0)
      s += " h=" + scaleString(h);
    if (a != 1.0)
      s += " a=" + scaleString(a);
    return s;
  }
  if (auto repeat = dyn_cast<res::RepeatOp>(op))
    return "tied repeat x" + std::to_string(repeat.getCount());
  StringRef name = op->getName().getStringRef();
  name.consume_front("res.");
  return name.str();
}

class TableBuilder {
public:
  TableBuilder(ModuleOp module, const InfoOptions &options) : options(options) {
    for (const res::ParamInfo &param : res::collectParams(module))
      params[param.name] = param;
  }

  Cost visitBlock(Block &block, int depth) {
    Cost cost;
    for (Operation &op : block)
      cost.add(visitOp(&op, depth));
    return cost;
  }

  std::vector<Row> rows;

  int64_t trainable(const std::set<std::string> &names) const {
    int64_t count = 0;
    for (const std::string &name : names) {
      auto found = params.find(name);
      if (found != params.end() && !found->second.buffer)
        count = satAdd(count, paramSize(found->second));
    }
    return count;
  }

  std::string macsString(const Cost &cost) const {
    if (!cost.known)
      return "?";
    if (cost.macs == 0)
      return "-";
    return countString(satMul(cost.macs, std::max<int64_t>(options.batch, 1)));
  }

  std::string shapeString(Type type) const {
    std::string batch = options.batch > 0 ? std::to_string(options.batch) : "N";
    return formatShape(typeDims(type), batch);
  }

private:
  /// Adds a row for `op` (when it is shallow enough to show) and returns its
  /// cost; rows of nested ops follow their parent's row.
  Cost visitOp(Operation *op, int depth) {
    if (isa<res::WeightOp, res::YieldOp, func::ReturnOp>(op))
      return {};
    size_t index = rows.size();
    bool shown = options.depth < 0 || depth <= options.depth;
    if (shown) {
      Row row;
      row.depth = depth;
      // Unnamed ops (activations, pooling) get "-" so that a blank does
      // not read as one more level of indentation.
      auto layer = op->getAttrOfType<StringAttr>("layer");
      row.name = layer && !layer.getValue().empty() ? layer.str() : "-";
      row.op = describe(op);
      if (op->getNumResults() == 1)
        row.shape = shapeString(op->getResult(0).getType());
      rows.push_back(row);
    }
    Cost cost = ownCost(op);
    if (auto block = dyn_cast<res::ResidualOp>(op)) {
      cost.add(visitBlock(block.getBranch().front(), depth + 1));
      if (!block.getShortcut().empty())
        cost.add(visitShortcut(block, depth + 1));
    } else if (auto repeat = dyn_cast<res::RepeatOp>(op)) {
      // Rows inside show one iteration; the repeat row shows all of them,
      // with the shared parameters once.
      Cost body = visitBlock(repeat.getBody().front(), depth + 1);
      body.macs = satMul(body.macs, repeat.getCount());
      cost.add(body);
    } else {
      for (Region &region : op->getRegions())
        for (Block &block : region)
          cost.add(visitBlock(block, depth + 1));
    }
    if (shown) {
      rows[index].params = withCommasOrDash(trainable(cost.params));
      rows[index].macs = macsString(cost);
    }
    return cost;
  }

  Cost visitShortcut(res::ResidualOp block, int depth) {
    size_t index = rows.size();
    bool shown = options.depth < 0 || depth <= options.depth;
    if (shown) {
      Row row;
      row.depth = depth;
      row.name = "(shortcut)";
      row.op = "shortcut";
      row.shape = shapeString(block.getType());
      rows.push_back(row);
    }
    Cost cost = visitBlock(block.getShortcut().front(), depth + 1);
    if (shown) {
      rows[index].params = withCommasOrDash(trainable(cost.params));
      rows[index].macs = macsString(cost);
    }
    return cost;
  }

  static std::string withCommasOrDash(int64_t value) {
    return value ? countString(value) : "-";
  }

  /// The op's own parameters and multiply-adds per sample.
  Cost ownCost(Operation *op) {
    Cost cost;
    for (Value operand : op->getOperands())
      if (auto weight = operand.getDefiningOp<res::WeightOp>())
        cost.params.insert(weight.getParam().str());
    if (auto conv = dyn_cast<res::Conv2DOp>(op)) {
      auto w = typeDims(conv.getWeight().getType());
      auto out = typeDims(conv.getType());
      if (out[2] < 0 || out[3] < 0)
        cost.known = false;
      else {
        cost.macs = 1;
        for (int64_t factor : {w[0], out[2], out[3], w[1], w[2], w[3]})
          cost.macs = satMul(cost.macs, factor);
      }
    } else if (auto dense = dyn_cast<res::DenseOp>(op)) {
      auto w = typeDims(dense.getWeight().getType());
      cost.macs = satMul(w[0], w[1]);
      // Per pixel on [N, C, H, W], per token on [N, T, D]: once for each
      // position (every dim but the batch and the features).
      auto out = typeDims(dense.getType());
      const size_t features = size_t(res::featureAxis(int64_t(out.size())));
      for (size_t d = 1; d < out.size(); ++d) {
        if (d == features)
          continue;
        if (out[d] < 0)
          cost.known = false;
        else
          cost.macs = satMul(cost.macs, out[d]);
      }
    } else if (auto attn = dyn_cast<res::AttentionOp>(op)) {
      // The four projections (q, k, v, output: 4 T D^2) and, per head,
      // q k^T and the probabilities times v (2 T^2 D over all heads).
      auto in = typeDims(attn.getType());
      if (in[1] < 0)
        cost.known = false;
      else
        cost.macs =
            satMul(satMul(in[1], in[2]), satMul(4, in[2]) + satMul(2, in[1]));
    }
    return cost;
  }

  const InfoOptions &options;
  std::map<std::string, res::ParamInfo> params;
};

void printTable(const std::vector<Row> &rows) {
  const char *headers[] = {"layer", "op", "output", "params", "MACs"};
  size_t width[5];
  for (int c = 0; c < 5; ++c)
    width[c] = strlen(headers[c]);
  auto cells = [](const Row &row) {
    return std::array<std::string, 5>{std::string(2 * row.depth, ' ') +
                                          row.name,
                                      row.op, row.shape, row.params, row.macs};
  };
  for (const Row &row : rows) {
    auto cell = cells(row);
    for (int c = 0; c < 5; ++c)
      width[c] = std::max(width[c], cell[c].size());
  }
  auto &os = llvm::outs();
  auto printLine = [&](const std::array<std::string, 5> &cell) {
    for (int c = 0; c < 5; ++c) {
      bool right = c >= 3; // numbers align on their last digit
      if (c)
        os << "  ";
      if (right)
        os.indent(width[c] - cell[c].size()) << cell[c];
      else
        os << cell[c] << std::string(width[c] - cell[c].size(), ' ');
    }
    os << "\n";
  };
  printLine({headers[0], headers[1], headers[2], headers[3], headers[4]});
  printLine({std::string(width[0], '-'), std::string(width[1], '-'),
             std::string(width[2], '-'), std::string(width[3], '-'),
             std::string(width[4], '-')});
  for (const Row &row : rows)
    printLine(cells(row));
}

} // namespace

/// Upper bounds on the Lipschitz constant of each block's branch and of the
/// whole network, on given or seeded weights (bounds need values).
static int printLipschitz(ModelSession &session, const CommonOptions &common,
                          const InfoOptions &options) {
  resc::TensorMap params;
  std::string error;
  if (!options.weights.empty()) {
    if (!loadWeights(session.module(), options.weights, !options.nonStrict,
                     common.verbose, params))
      return 1;
  } else if (!res::initParams(session.module(), options.seed, params, error)) {
    reportError(error);
    return 1;
  }
  if (!res::attachValues(session.module(), params, error)) {
    reportError(error);
    return 1;
  }
  res::ModelLipschitz bounds = res::computeLipschitz(session.model());
  auto &os = llvm::outs();
  os << "\nLipschitz upper bounds ("
     << (options.weights.empty()
             ? "seeded weights, seed " + std::to_string(options.seed)
             : options.weights)
     << "; certified operator-norm bounds, see docs/passes.md)\n";
  os << llvm::format("%-28s %12s %12s %12s %6s\n", (const char *)"block",
                     (const char *)"branch L(F)", (const char *)"shortcut",
                     (const char *)"block", (const char *)"runs");
  for (const res::BlockLipschitz &b : bounds.blocks)
    os << llvm::format("%-28s %12s %12s %12s %6lld\n",
                       ((b.nested ? "  " : "") + b.name).c_str(),
                       res::formatBound(b.branch).c_str(),
                       res::formatBound(b.shortcut).c_str(),
                       res::formatBound(b.total).c_str(),
                       (long long)b.applications);
  os << "product over blocks   " << res::formatBound(bounds.blockProduct)
     << "  (Pi of each block's bound, to the power of its runs)\n";
  os << "whole network         " << res::formatBound(bounds.network) << "\n";
  return 0;
}

int runInfo(const CommonOptions &common, const InfoOptions &options) {
  ModelSession session;
  if (!session.load(common.file, common.model, common.maxMemory))
    return 1;
  func::FuncOp model = session.model();
  TableBuilder table(session.module(), options);
  Cost total = table.visitBlock(model.getBody().front(), 0);

  auto &os = llvm::outs();
  os << "model " << model.getSymName() << ":";
  for (unsigned i = 0; i < model.getNumArguments(); ++i)
    os << (i ? ", " : " ") << inputName(model, i) << " "
       << table.shapeString(model.getArgumentTypes()[i]);
  os << " ->";
  for (unsigned i = 0; i < model.getNumResults(); ++i)
    os << (i ? ", " : " ") << outputName(model, i) << " "
       << table.shapeString(model.getResultTypes()[i]);
  os << "\n\n";
  printTable(table.rows);

  // Totals come from the declarations, as a state_dict would count them.
  int64_t trainable = 0, buffers = 0;
  for (const res::ParamInfo &param : res::collectParams(session.module())) {
    int64_t &sum = param.buffer ? buffers : trainable;
    sum = satAdd(sum, paramSize(param));
  }
  int64_t macs = satMul(total.macs, std::max<int64_t>(options.batch, 1));
  std::string per = options.batch > 0
                        ? "at batch " + std::to_string(options.batch)
                        : "per sample";
  os << "\n";
  os << "trainable parameters  " << countString(trainable)
     << llvm::format(" (%.2f MiB as f32)\n", trainable * 4.0 / (1 << 20));
  os << "buffers               " << countString(buffers)
     << " (batch-norm running statistics, not trained)\n";
  os << "multiply-adds         " << (total.known ? "" : "at least ")
     << llvm::format("%.3f G ", macs / 1e9) << per << " (" << countString(macs)
     << ", convolutions, dense layers and attention)\n";
  if (!total.known)
    os << "  (layers marked ? have a dynamic spatial size; their "
          "multiply-adds are not counted)\n";
  if (options.lipschitz)
    return printLipschitz(session, common, options);
  return 0;
}

std::optional<int64_t> countMacsPerSample(ModuleOp module, func::FuncOp model) {
  InfoOptions options;
  TableBuilder table(module, options);
  Cost total = table.visitBlock(model.getBody().front(), 0);
  if (!total.known || total.macs == kTooMany)
    return std::nullopt;
  return total.macs;
}

} // namespace resc::cli
