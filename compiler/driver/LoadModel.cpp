// Model loading and diagnostics for the resc subcommands (see LoadModel.h).
#include "compiler/driver/LoadModel.h"

#include "compiler/weights/InitWeights.h"
#include "compiler/weights/ParamBinding.h"
#include "dialect/ResDialect.h"
#include "frontend/Frontend.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace resc::driver {

void reportError(const llvm::Twine &message) {
  llvm::errs() << "resc: error: " << message << "\n";
}

void reportWarning(const llvm::Twine &message) {
  llvm::errs() << "resc: warning: " << message << "\n";
}

ModelSession::ModelSession()
    // resc's printer cuts very long source lines around the column, so a
    // 10 MB line or a binary file cannot flood the terminal.
    : printer_(std::make_unique<res::DiagnosticPrinter>(
          sourceMgr_, &context_, llvm::errs(), "resc: ")) {
  res::loadFrontendDialects(context_);
  context_.loadDialect<res::ResDialect, func::FuncDialect>();
  // The source line and caret say where; the generic form of the op that
  // MLIR would append only repeats the line less readably.
  context_.printOpOnDiagnostic(false);
}

ModelSession::~ModelSession() = default;

bool ModelSession::load(const std::string &path, const std::string &modelName,
                        uint64_t maxMemoryBytes) {
  llvm::StringRef ext = llvm::sys::path::extension(path);
  bool isRes = ext == ".res";
  if (!isRes && ext != ".mlir" && ext != ".mlirbc") {
    reportError("'" + path +
                "' is neither a .res model nor .mlir IR (resc goes by the "
                "file extension)");
    return false;
  }
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/true);
  if (!buffer) {
    reportError("cannot read '" + path + "': " + buffer.getError().message());
    return false;
  }
  sourceMgr_.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());

  if (isRes) {
    res::FrontendOptions options;
    options.modelName = modelName;
    options.maxMemoryBytes = maxMemoryBytes;
    module_ = res::compileResSource(sourceMgr_, context_, options);
    // The frontend verifies what it emits, but a verifier failure here would
    // be a frontend bug that must not reach the interpreter, so check again.
    if (module_ && failed(verify(*module_)))
      return false;
  } else {
    ParserConfig config(&context_);
    module_ = parseSourceFile<ModuleOp>(sourceMgr_, config);
  }
  if (!module_)
    return false;

  // The frontend already picked the model of a .res file by name.
  bool byName = !modelName.empty() && !isRes;
  llvm::SmallVector<func::FuncOp> models;
  for (auto fn : module_->getOps<func::FuncOp>())
    if (byName ? fn.getSymName() == modelName : !fn.isExternal())
      models.push_back(fn);
  if (models.empty()) {
    if (byName)
      reportError("'" + path + "' has no model named '" + modelName + "'");
    else
      reportError("'" + path + "' holds no model (a func.func with a body)");
    return false;
  }
  if (models.size() > 1) {
    std::string names;
    for (auto fn : models)
      names += (names.empty() ? "" : ", ") + fn.getSymName().str();
    reportError("'" + path + "' holds " + std::to_string(models.size()) +
                " models (" + names + "); choose one with --model NAME");
    return false;
  }
  model_ = models.front();
  if (model_.isExternal()) {
    emitError(model_.getLoc(), "model '")
        << model_.getSymName() << "' is a declaration without a body";
    return false;
  }
  auto checkTypes = [&](TypeRange types, const char *what) {
    for (auto [i, type] : llvm::enumerate(types)) {
      auto ranked = dyn_cast<RankedTensorType>(type);
      if (!ranked || !ranked.getElementType().isF32()) {
        emitError(model_.getLoc(), "model ")
            << what << " " << i << " has type " << type
            << "; resc models take and give ranked f32 tensors";
        return false;
      }
    }
    return true;
  };
  if (model_.getNumArguments() == 0) {
    emitError(model_.getLoc(), "model '")
        << model_.getSymName() << "' has no input";
    return false;
  }
  return checkTypes(model_.getArgumentTypes(), "input") &&
         checkTypes(model_.getResultTypes(), "output");
}

bool loadWeights(ModuleOp module, const std::string &path, bool strict,
                 bool verbose, std::map<std::string, resc::Tensor> &out) {
  res::BindingResult binding =
      res::bindParamsFromFile(res::collectParams(module), path, out, strict);
  // A checkpoint saved with another naming scheme misses every key; the
  // first few errors show the pattern, hundreds would bury it.
  const size_t shown = 20;
  for (size_t i = 0; i < binding.errors.size() && i < shown; ++i)
    reportError(binding.errors[i]);
  if (binding.errors.size() > shown)
    reportError("... and " + std::to_string(binding.errors.size() - shown) +
                " more problems with " + path);
  if (verbose && binding.ok())
    for (const std::string &key : binding.ignoredKeys)
      llvm::errs() << "resc: ignored key '" << key << "' of " << path << "\n";
  return binding.ok();
}

bool loadOrSeedWeights(ModuleOp module, const std::string &path, bool strict,
                       uint64_t seed, bool verbose,
                       std::map<std::string, resc::Tensor> &out) {
  if (!path.empty())
    return loadWeights(module, path, strict, verbose, out);
  std::string error;
  if (!res::initParams(module, seed, out, error)) {
    reportError(error);
    return false;
  }
  if (verbose)
    llvm::errs() << "resc: " << out.size() << " parameters seeded (seed "
                 << seed << ")\n";
  return true;
}

std::string inputName(func::FuncOp model, unsigned index) {
  if (auto name = model.getArgAttrOfType<StringAttr>(index, res::kNameAttr))
    return name.str();
  return "input" + std::to_string(index);
}

std::string outputName(func::FuncOp model, unsigned index) {
  if (auto name = model.getResultAttrOfType<StringAttr>(index, res::kNameAttr))
    return name.str();
  return "output" + std::to_string(index);
}

std::vector<int64_t> typeDims(Type type) {
  std::vector<int64_t> dims;
  auto ranked = cast<RankedTensorType>(type);
  for (int64_t d : ranked.getShape())
    dims.push_back(ShapedType::isDynamic(d) ? -1 : d);
  return dims;
}

std::string formatShape(const std::vector<int64_t> &dims,
                        const std::string &batch) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i)
      s += ", ";
    if (dims[i] >= 0)
      s += std::to_string(dims[i]);
    else
      s += i == 0 ? batch : "?";
  }
  return s + "]";
}

std::string withCommas(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

} // namespace resc::driver
