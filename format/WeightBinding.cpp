#include "format/WeightBinding.h"

#include <algorithm>

namespace resc {
namespace format {

namespace {

/// PyTorch's BatchNorm counter: an int64 buffer no resc model reads.
bool isBatchCounter(const std::string &key) {
  const std::string suffix = "num_batches_tracked";
  return key == suffix ||
         (key.size() > suffix.size() &&
          key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0 &&
          key[key.size() - suffix.size() - 1] == '.');
}

std::string quotedList(const std::vector<std::string> &keys, size_t shown) {
  std::string list;
  for (size_t i = 0; i < keys.size() && i < shown; ++i)
    list += (i ? ", '" : "'") + keys[i] + "'";
  if (keys.size() > shown)
    list += " and " + std::to_string(keys.size() - shown) + " more";
  return list;
}

} // namespace

WeightCheck checkWeights(const std::vector<WantedParam> &wanted,
                         const resc::TensorMap &file,
                         const std::map<std::string, std::string> &otherDtypes,
                         const std::string &label,
                         const WeightCheckOptions &options) {
  WeightCheck result;
  std::set<std::string> names;
  size_t present = 0;
  std::vector<std::string> problems;
  for (const WantedParam &p : wanted) {
    names.insert(p.name);
    const std::string expected = resc::shapeToString(p.shape);
    auto dtype = otherDtypes.find(p.name);
    auto found = file.find(p.name);
    if (dtype != otherDtypes.end()) {
      ++present;
      problems.push_back(label + ": parameter '" + p.name + "' has dtype " +
                         dtype->second + " in the file, expected F32 (shape " +
                         expected + " in the model)");
    } else if (found == file.end()) {
      problems.push_back(label + ": parameter '" + p.name + "' with shape " +
                         expected + " in the model is missing from the file");
    } else {
      ++present;
      if (found->second.shape != p.shape)
        problems.push_back(label + ": parameter '" + p.name + "' has shape " +
                           expected + " in the model but " +
                           resc::shapeToString(found->second.shape) +
                           " in the file");
    }
  }
  // A checkpoint of another model (or another naming) misses most keys: say
  // so before the list of them.
  if (wanted.size() >= 2 && present * 2 < wanted.size())
    result.errors.push_back(
        label + ": " + (present ? std::to_string(present) : "none") +
        " of the model's " + std::to_string(wanted.size()) +
        " parameters are in this file: weights of another model?");
  result.errors.insert(result.errors.end(), problems.begin(), problems.end());

  std::vector<std::string> unexpected;
  auto consider = [&](const std::string &key) {
    if (names.count(key))
      return;
    result.ignoredKeys.push_back(key);
    if (!options.known.count(key) && !isBatchCounter(key))
      unexpected.push_back(key);
  };
  for (const auto &entry : file)
    consider(entry.first);
  for (const auto &entry : otherDtypes)
    consider(entry.first);
  std::sort(result.ignoredKeys.begin(), result.ignoredKeys.end());
  std::sort(unexpected.begin(), unexpected.end());
  if (options.strict && !unexpected.empty()) {
    const size_t n = unexpected.size();
    std::string message = label + ": " + std::to_string(n) +
                          (n == 1 ? " tensor of the file is not a parameter"
                                  : " tensors of the file are not parameters") +
                          " of the model: " + quotedList(unexpected, 10);
    if (!options.nonStrictHint.empty())
      message += "; " + options.nonStrictHint;
    result.errors.push_back(message);
  }
  return result;
}

} // namespace format
} // namespace resc
