// `resc emit --format dot`: the model as a Graphviz graph. Layers are
// nodes labelled with their name, op and output shape; residual blocks are
// clusters holding a branch and a shortcut sub-cluster that meet in a sum
// node; tied repeats are clusters marked with their count. Run after the
// pipeline, it shows the graph before (-O0) or after (-O2) the passes.
#ifndef RESC_COMPILER_EXPORT_DOTGRAPH_H
#define RESC_COMPILER_EXPORT_DOTGRAPH_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/raw_ostream.h"

namespace resc::emit {

void printDotGraph(mlir::func::FuncOp model, llvm::raw_ostream &os);

} // namespace resc::emit

#endif
