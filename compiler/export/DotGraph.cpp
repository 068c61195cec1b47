#include "compiler/export/DotGraph.h"
#include "compiler/driver/LoadModel.h"

#include "dialect/ResDialect.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstdio>
#include <string>

using namespace mlir;
using namespace resc::driver;

namespace resc::emit {
namespace {

std::string escape(llvm::StringRef text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out;
}

std::string shortNumber(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

class DotWriter {
public:
  explicit DotWriter(llvm::raw_ostream &os) : os(os) {}

  void write(func::FuncOp model) {
    os << "digraph \"" << escape(model.getSymName()) << "\" {\n"
       << "  rankdir=TB;\n  node [shape=box, style=rounded, "
          "fontname=\"Helvetica\", fontsize=10];\n"
       << "  edge [arrowsize=0.6];\n";
    Block &entry = model.front();
    for (BlockArgument arg : entry.getArguments()) {
      std::string id = node("input " + inputName(model, arg.getArgNumber()),
                            arg.getType(), "shape=oval", 1);
      producers[arg] = id;
    }
    writeBlock(entry, 1);
    // Edges come last, at the top level: Graphviz makes every node that an
    // edge inside a cluster mentions a member of that cluster.
    for (const std::string &e : edges)
      os << "  " << e << "\n";
    os << "}\n";
  }

private:
  std::string node(const std::string &label, Type type,
                   const std::string &style, int indent) {
    std::string id = "n" + std::to_string(next++);
    std::string text = label;
    if (type)
      text += "\n" + formatShape(typeDims(type));
    os.indent(2 * indent) << id << " [label=\"" << escape(text) << "\""
                          << (style.empty() ? "" : ", " + style) << "];\n";
    return id;
  }

  void edge(Value from, const std::string &to, int) {
    auto it = producers.find(from);
    if (it != producers.end())
      edges.push_back(it->second + " -> " + to + ";");
  }

  static std::string layerOf(Operation *op) {
    if (auto layer = op->getAttrOfType<StringAttr>("layer"))
      return layer.getValue().str();
    return "";
  }

  static std::string opLabel(Operation *op) {
    std::string name = op->getName().stripDialect().str();
    if (auto act = dyn_cast<res::ActivationOp>(op))
      name = res::stringifyActivation(act.getKind()).str();
    auto window = [&](auto conv) {
      auto w = cast<RankedTensorType>(conv.getWeight().getType()).getShape();
      name += " " + std::to_string(w[2]) + "x" + std::to_string(w[3]);
      if (conv.getStride()[0] != 1)
        name += " /" + std::to_string(conv.getStride()[0]);
    };
    if (auto conv = dyn_cast<res::Conv2DOp>(op))
      window(conv);
    if (auto fused = dyn_cast<res::FusedConv2DOp>(op)) {
      window(fused);
      if (fused.getResidual())
        name += " + skip";
      if (auto act = fused.getActivation())
        name += " + " + res::stringifyActivation(*act).str();
    }
    return name;
  }

  void writeRegion(Region &region, Value input, const std::string &label,
                   int indent) {
    os.indent(2 * indent) << "subgraph cluster_" << next++ << " {\n";
    os.indent(2 * indent + 2)
        << "label=\"" << escape(label) << "\"; style=dashed;\n";
    Block &block = region.front();
    producers[block.getArgument(0)] = producers.lookup(input);
    writeBlock(block, indent + 1);
    os.indent(2 * indent) << "}\n";
  }

  void writeBlock(Block &block, int indent) {
    for (Operation &op : block) {
      if (isa<res::WeightOp>(op))
        continue;
      if (auto ret = dyn_cast<func::ReturnOp>(op)) {
        auto model = op.getParentOfType<func::FuncOp>();
        for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
          std::string id = node("output " + outputName(model, i),
                                value.getType(), "shape=oval", indent);
          edge(value, id, indent);
        }
        continue;
      }
      if (auto yield = dyn_cast<res::YieldOp>(op)) {
        yielded.push_back(yield.getValue());
        continue;
      }
      if (auto residual = dyn_cast<res::ResidualOp>(op)) {
        writeResidual(residual, indent);
        continue;
      }
      if (auto repeat = dyn_cast<res::RepeatOp>(op)) {
        std::string label = layerOf(&op);
        label += (label.empty() ? "" : ": ") + std::string("repeat x") +
                 std::to_string(repeat.getCount()) + " (tied)";
        size_t mark = yielded.size();
        writeRegion(repeat.getBody(), repeat.getInput(), label, indent);
        Value last = yielded.size() > mark ? yielded.back() : Value();
        yielded.resize(mark);
        producers[repeat.getResult()] = producers.lookup(last);
        continue;
      }
      std::string label = layerOf(&op);
      label += (label.empty() ? "" : "\n") + opLabel(&op);
      std::string id =
          node(label, op.getNumResults() ? op.getResult(0).getType() : Type(),
               "", indent);
      for (Value operand : op.getOperands())
        if (!operand.getDefiningOp<res::WeightOp>())
          edge(operand, id, indent);
      for (Value result : op.getResults())
        producers[result] = id;
    }
  }

  void writeResidual(res::ResidualOp op, int indent) {
    std::string name = layerOf(op);
    os.indent(2 * indent) << "subgraph cluster_" << next++ << " {\n";
    os.indent(2 * indent + 2)
        << "label=\"" << escape(name.empty() ? "residual" : name)
        << "\"; style=\"rounded,filled\"; fillcolor=\"#f3f6fb\";\n";
    size_t mark = yielded.size();
    writeRegion(op.getBranch(), op.getInput(), "branch", indent + 1);
    Value branch = yielded.size() > mark ? yielded.back() : Value();
    Value shortcut = op.getInput();
    if (!op.hasIdentityShortcut()) {
      writeRegion(op.getShortcut(), op.getInput(), "shortcut", indent + 1);
      shortcut = yielded.back();
    }
    yielded.resize(mark);
    std::string sum = "+";
    double h = op.getBranchScale().convertToDouble();
    double a = op.getOutputScale().convertToDouble();
    if (h != 1.0)
      sum += " (branch x" + shortNumber(h) + ")";
    if (a != 1.0)
      sum += " x" + shortNumber(a);
    if (auto after = op.getAfter())
      sum += ", " + res::stringifyActivation(*after).str();
    std::string id = node(sum, op.getType(), "shape=circle", indent + 1);
    edge(branch, id, indent + 1);
    edges.push_back(producers.lookup(shortcut) + " -> " + id +
                    (op.hasIdentityShortcut()
                         ? " [style=dashed, label=\"identity\"]"
                         : "") +
                    ";");
    os.indent(2 * indent) << "}\n";
    producers[op.getResult()] = id;
  }

  llvm::raw_ostream &os;
  llvm::DenseMap<Value, std::string> producers;
  std::vector<Value> yielded;
  std::vector<std::string> edges;
  int next = 0;
};

} // namespace

void printDotGraph(func::FuncOp model, llvm::raw_ostream &os) {
  DotWriter(os).write(model);
}

} // namespace resc::emit
