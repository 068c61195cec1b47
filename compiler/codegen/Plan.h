// The static plan of a compiled model: a sequence of kernel calls over
// slots (buffers), with weight-tied repeats kept as loops over one body, and
// the offsets of every activation in one arena computed from the tensors'
// lifetimes so that memory of dead tensors is reused.
//
// All activation sizes are proportional to the batch, so the planner works
// in floats per batch element and the arena of a run with batch N is N times
// the planned size: one plan serves every batch size.
#ifndef RESC_COMPILER_CODEGEN_PLAN_H
#define RESC_COMPILER_CODEGEN_PLAN_H

#include "compiler/codegen/KernelDesc.h"
#include "format/WeightPacking.h"

#include "mlir/IR/Location.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace res {
namespace codegen {

// The packing recipes belong to the format the runtime reads (resc_format,
// docs/design.md); the compiler names them as its own.
using resc::format::AlignedFloats;
using resc::format::BatchNormRef;
using resc::format::kConvWeightBlock;
using resc::format::packedConvWeightDims;
using resc::format::packParam;
using resc::format::PackRecipe;
using resc::format::ParamLookup;

class CompiledKernel;

struct Slot {
  enum Kind {
    Activation, // in the arena at `offset` (floats per batch element)
    Param,      // packed parameter `index`
    Input,      // model input `index`, C order
    Output,     // model output `index`, C order
    LoopResult, // the final buffer of a loop; bound while running
  };
  Kind kind = Activation;
  Dims dims; // activations: logical dims without the batch
  /// False for an Activation or Output without a batch dim (per-channel
  /// statistics, weight gradients): `dims` is then its whole shape, C
  /// order, and it has storage of its own outside the arena.
  bool batched = true;
  int index = -1;
  int64_t offset = -1;
  int64_t size() const { return perSample(dims); }
};

struct Step {
  enum Kind { Call, Loop };
  Kind kind = Call;

  // Call: kernel `kernel` (an index into Plan::kernels) reading `operands`
  // and writing `result`, all slots.
  int kernel = -1;
  std::vector<int> operands;
  int result = -1;
  /// The layer it computes (for messages and profiles) and where.
  std::string layer;
  std::optional<mlir::Location> loc;

  // Loop: `count` times `body`. Iteration i reads slot `arg` and writes
  // slot `yield`; the first reads `input`, and the buffers of `arg` and
  // `yield` then alternate, so no iteration copies. `result` is bound to
  // the buffer the last iteration wrote.
  int64_t count = 0;
  std::vector<Step> body;
  int input = -1, arg = -1, yield = -1;
};

struct Plan {
  std::vector<Slot> slots;
  std::vector<Step> steps;
  /// Distinct kernels, each compiled once.
  std::vector<KernelDesc> kernels;
  std::vector<std::shared_ptr<CompiledKernel>> compiled;
  /// Packed parameters, in slot `index` order.
  std::vector<PackRecipe> params;
  /// Slots of the model inputs and outputs.
  std::vector<int> inputs, outputs;
  /// Arena floats per batch element, after reuse; and what it would be if
  /// every activation had its own buffer.
  int64_t arenaPerSample = 0;
  int64_t unsharedPerSample = 0;

  int addSlot(Slot slot) {
    slots.push_back(std::move(slot));
    return int(slots.size()) - 1;
  }

  /// Assigns arena offsets from lifetimes (see Plan.cpp).
  void planMemory();
  /// Kernel calls of one forward pass, each loop iteration counted.
  int64_t callCount() const;
};

} // namespace codegen
} // namespace res

#endif
