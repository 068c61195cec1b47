// The rules that match a weights file's tensors to the parameters a model
// reads, shared by resc's commands (`--weights`) and the AOT runtime
// (`*_create_from_file`), so that both accept the same files and say the same
// thing about the others (docs/weights.md, "Binding weights to a model"):
// like PyTorch's load_state_dict(strict=True), a key the model does not have
// is an error unless the caller asks for a non-strict load.
#ifndef RESC_FORMAT_WEIGHTBINDING_H
#define RESC_FORMAT_WEIGHTBINDING_H

#include "resc/Safetensors.h"
#include "resc/Tensor.h"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace resc {
namespace format {

/// A parameter the model reads from the file.
struct WantedParam {
  std::string name;
  std::vector<int64_t> shape;
};

struct WeightCheck {
  /// One message per problem, each starting with the file's label.
  std::vector<std::string> errors;
  /// Keys of the file the model does not read (sorted): ignored in a
  /// non-strict load, an error in a strict one (but for PyTorch's
  /// `num_batches_tracked`, always ignored).
  std::vector<std::string> ignoredKeys;
  bool ok() const { return errors.empty(); }
};

struct WeightCheckOptions {
  bool strict = true;
  /// Names the model has but does not read from the file (parameters whose
  /// values it carries): not unexpected.
  std::set<std::string> known;
  /// How the caller turns the unexpected-keys error off, ending its message
  /// ("--non-strict ignores them").
  std::string nonStrictHint;
};

/// Checks `file` (F32 tensors by key) and `otherDtypes` (the keys of tensors
/// of other dtypes, with their dtype) against `wanted`. `label` (the file's
/// path, or "the weights in memory") starts every message.
WeightCheck checkWeights(const std::vector<WantedParam> &wanted,
                         const resc::TensorMap &file,
                         const std::map<std::string, std::string> &otherDtypes,
                         const std::string &label,
                         const WeightCheckOptions &options);

} // namespace format
} // namespace resc

#endif
