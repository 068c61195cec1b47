#include "frontend/Elaborator.h"

#include "mlir/IR/Verifier.h"

using namespace mlir;

namespace res {

Elaborator::Elaborator(llvm::SourceMgr &sourceMgr, MLIRContext &context,
                       const ast::File &file)
    : sourceMgr(sourceMgr), context(context), file(file) {}

Location Elaborator::loc(llvm::SMLoc at) {
  unsigned buffer = sourceMgr.FindBufferContainingLoc(at);
  if (!buffer)
    buffer = sourceMgr.getMainFileID();
  auto [line, column] = at.isValid() ? sourceMgr.getLineAndColumn(at, buffer)
                                     : std::pair<unsigned, unsigned>(1, 1);
  return FileLineColLoc::get(
      &context, sourceMgr.getMemoryBuffer(buffer)->getBufferIdentifier(), line,
      column);
}

void Elaborator::error(llvm::SMLoc at, const std::string &message) {
  hadError = true;
  InFlightDiagnostic diag = emitError(loc(at), message);
  for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
    if (it->second == at)
      continue;
    diag.attachNote(loc(it->second))
        << "in '" << it->first->name << "', used here";
  }
}

ReportFn Elaborator::reporter() {
  return [this](llvm::SMLoc at, const std::string &message) {
    error(at, message);
  };
}

RankedTensorType Elaborator::tensorType(llvm::ArrayRef<int64_t> dims) {
  llvm::SmallVector<int64_t> shape;
  for (int64_t d : dims)
    shape.push_back(d < 0 ? ShapedType::kDynamic : d);
  return RankedTensorType::get(shape, Float32Type::get(&context));
}

std::string Elaborator::shapeText(Type type) {
  auto t = cast<RankedTensorType>(type);
  std::string s = "[";
  for (int64_t i = 0; i < t.getRank(); ++i) {
    if (i)
      s += ", ";
    int64_t d = t.getDimSize(i);
    s += ShapedType::isDynamic(d) ? (i == 0 ? "N" : "?") : std::to_string(d);
  }
  return s + "]";
}

bool Elaborator::countOp(llvm::SMLoc at) {
  if (++opCount <= maxOps)
    return true;
  error(at, "the model has more than " + std::to_string(maxOps) +
                " operations, the limit");
  return false;
}

Value Elaborator::param(OpBuilder &builder, llvm::SMLoc at,
                        const std::string &name, llvm::ArrayRef<int64_t> shape,
                        bool buffer) {
  int64_t elements = 1;
  for (int64_t d : shape)
    if (d <= 0 || __builtin_mul_overflow(elements, d, &elements) ||
        elements > (int64_t(1) << 31)) {
      error(at, "parameter '" + name +
                    "' would be too large (more than 2^31 "
                    "elements)");
      return nullptr;
    }
  auto type = tensorType(shape);
  auto [it, inserted] = params.try_emplace(name, at);
  if (!inserted) {
    unsigned line = sourceMgr.getLineAndColumn(it->second).first;
    error(at, "parameter '" + name + "' is already defined (by line " +
                  std::to_string(line) +
                  "); give this statement another "
                  "name with 'as'");
    return nullptr;
  }
  OpBuilder moduleBuilder(function);
  auto op = moduleBuilder.create<ParamOp>(loc(at), name, type,
                                          /*value=*/nullptr,
                                          /*buffer=*/buffer);
  (void)op;
  return builder.create<WeightOp>(loc(at), type, name);
}

std::optional<std::string> Elaborator::claimName(const ast::Stmt &stmt,
                                                 const std::string &keyword,
                                                 Scope &scope) {
  if (!stmt.asName.empty()) {
    if (llvm::StringRef(stmt.asName).contains("{i}")) {
      error(stmt.asLoc, "'{i}' stands for the index of a repeat's copy; only "
                        "the name of an untied repeat may hold it");
      return std::nullopt;
    }
    if (!scope.used.insert(stmt.asName).second) {
      error(stmt.asLoc,
            "the name '" + stmt.asName + "' is already used in this scope");
      return std::nullopt;
    }
    return stmt.asName;
  }
  while (true) {
    std::string name = keyword + std::to_string(scope.counters[keyword]++);
    if (scope.reserved.count(name) || scope.used.count(name))
      continue;
    scope.used.insert(name);
    return name;
  }
}

static void reserveNames(const ast::StmtList &body, Scope &scope) {
  for (const auto &stmt : body) {
    if (!stmt->asName.empty())
      scope.reserved.insert(stmt->asName);
    // An anonymous gate or residual names its statements in the enclosing
    // scope.
    if (stmt->kind == ast::Stmt::Kind::Shortcut ||
        ((stmt->kind == ast::Stmt::Kind::Gate ||
          stmt->kind == ast::Stmt::Kind::Residual) &&
         stmt->asName.empty()))
      reserveNames(stmt->body, scope);
  }
}

OwningOpRef<ModuleOp> Elaborator::run(const FrontendOptions &options) {
  maxOps = options.maxOps;
  const ast::Definition *model = nullptr;
  std::vector<const ast::Definition *> models;
  for (const auto &def : file.definitions) {
    if (isBuiltin(def->name) || def->name == "repeat" || def->name == "gate" ||
        def->name == "residual") {
      error(def->nameLoc,
            "'" + def->name + "' is a built-in statement; choose another name");
      return nullptr;
    }
    auto [it, inserted] = definitions.try_emplace(def->name, def.get());
    if (!inserted) {
      unsigned line = sourceMgr.getLineAndColumn(it->second->nameLoc).first;
      error(def->nameLoc, "'" + def->name + "' is already defined (line " +
                              std::to_string(line) + ")");
      return nullptr;
    }
    if (def->kind == ast::Definition::Kind::Model)
      models.push_back(def.get());
    std::set<std::string> seen;
    for (const ast::Param &p : def->params) {
      if (p.name == "in_channels" || p.name == "true" || p.name == "false") {
        error(p.loc, "'" + p.name +
                         "' is a reserved name and cannot be a "
                         "parameter");
        return nullptr;
      }
      if (!seen.insert(p.name).second) {
        error(p.loc, "parameter '" + p.name + "' of '" + def->name +
                         "' is declared twice");
        return nullptr;
      }
    }
  }
  llvm::SMLoc start = llvm::SMLoc::getFromPointer(
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID())->getBufferStart());
  if (!options.modelName.empty()) {
    auto it = definitions.find(options.modelName);
    if (it == definitions.end() ||
        it->second->kind != ast::Definition::Kind::Model) {
      std::string names;
      for (auto *m : models)
        names += (names.empty() ? "" : ", ") + m->name;
      error(start, "no model named '" + options.modelName + "' in the file" +
                       (names.empty() ? "" : " (models: " + names + ")"));
      return nullptr;
    }
    model = it->second;
  } else if (models.size() == 1) {
    model = models.front();
  } else if (models.empty()) {
    error(start, "the file defines no model; expected 'model NAME { input "
                 "x: f32[N, ...] ... }'");
    return nullptr;
  } else {
    std::string names;
    for (auto *m : models)
      names += (names.empty() ? "" : ", ") + m->name;
    error(models[1]->nameLoc, "the file defines several models (" + names +
                                  "); choose one with --model");
    return nullptr;
  }

  module = ModuleOp::create(loc(model->loc));
  OwningOpRef<ModuleOp> owned(module);
  if (failed(elaborateModel(*model)) || hadError)
    return nullptr;
  if (mlir::failed(mlir::verify(module)))
    return nullptr;
  return owned;
}

LogicalResult Elaborator::elaborateModel(const ast::Definition &model) {
  const ast::StmtList &body = model.body;
  if (body.empty() || body.front()->kind != ast::Stmt::Kind::Input) {
    error(body.empty() ? model.nameLoc : body.front()->loc,
          "the first statement of model '" + model.name +
              "' must be 'input NAME: f32[dims]'");
    return failure();
  }
  const ast::Stmt &input = *body.front();
  if (input.elementType != "f32") {
    error(input.loc, "input '" + input.name + "' has element type '" +
                         input.elementType + "'; only f32 is supported");
    return failure();
  }
  llvm::SmallVector<int64_t> dims;
  for (const ast::Dim &dim : input.dims) {
    if (dim.size && (*dim.size <= 0 || *dim.size > (int64_t(1) << 31))) {
      error(dim.loc, "dimension " + std::to_string(*dim.size) +
                         " must be positive and at most 2^31");
      return failure();
    }
    dims.push_back(dim.size ? *dim.size : -1);
  }
  if (dims.size() < 2 || dims.size() > 4) {
    error(input.loc, "input '" + input.name +
                         "' must be [N, features], [N, T, D] (tokens) or "
                         "[N, C, H, W]");
    return failure();
  }
  auto inType = tensorType(dims);
  function = func::FuncOp::create(loc(model.loc), model.name,
                                  FunctionType::get(&context, {inType}, {}));
  module.push_back(function);
  Block *entry = function.addEntryBlock();
  // Errors about the input (its shape, at compile or run time) point here.
  entry->getArgument(0).setLoc(loc(input.loc));
  function.setArgAttr(0, kNameAttr, StringAttr::get(&context, input.name));

  Flow flow{OpBuilder::atBlockEnd(entry), entry->getArgument(0), {}};
  Environment env;
  Scope scope;
  reserveNames(body, scope);
  std::string outputName = "output";
  llvm::SMLoc lastLoc = input.loc;
  for (size_t i = 1; i < body.size(); ++i) {
    const ast::Stmt &stmt = *body[i];
    lastLoc = stmt.loc;
    if (stmt.kind == ast::Stmt::Kind::Output) {
      if (i + 1 != body.size()) {
        error(stmt.loc, "'output' must be the last statement of the model");
        return failure();
      }
      outputName = stmt.name;
      continue;
    }
    if (stmt.kind == ast::Stmt::Kind::Input) {
      error(stmt.loc, "a model has one input, declared by its first "
                      "statement");
      return failure();
    }
    if (failed(elaborateStatement(stmt, env, scope, flow)))
      return failure();
  }
  flow.builder.create<func::ReturnOp>(loc(lastLoc), flow.current);
  function.setType(
      FunctionType::get(&context, {inType}, {flow.current.getType()}));
  function.setResultAttr(0, kNameAttr, StringAttr::get(&context, outputName));
  return success();
}

LogicalResult Elaborator::elaborateBody(const ast::StmtList &body,
                                        Environment &env, Scope &scope,
                                        Flow &flow) {
  for (const auto &stmt : body)
    if (failed(elaborateStatement(*stmt, env, scope, flow)))
      return failure();
  return success();
}

LogicalResult Elaborator::elaborateStatement(const ast::Stmt &stmt,
                                             Environment &env, Scope &scope,
                                             Flow &flow) {
  using K = ast::Stmt::Kind;
  switch (stmt.kind) {
  case K::Input:
    error(stmt.loc, "'input' may only be the first statement of a model");
    return failure();
  case K::Output:
    error(stmt.loc, "'output' may only be the last statement of a model");
    return failure();
  case K::Shortcut:
  case K::After:
  case K::Scale:
    error(stmt.loc, "this clause is only allowed in the body of a 'residual' "
                    "definition or of an inline 'residual { ... }'");
    return failure();
  case K::Save:
  case K::Add:
  case K::Concat:
    return saveOrCombine(stmt, scope, flow);
  case K::Repeat:
    return elaborateRepeat(stmt, env, scope, flow);
  case K::Residual:
    return elaborateInlineResidual(stmt, env, scope, flow);
  case K::Gate:
    return elaborateGate(stmt, env, scope, flow);
  case K::Call: {
    auto name = claimName(stmt, stmt.callee, scope);
    if (!name)
      return failure();
    return elaborateCall(stmt, scope.path(*name), env, flow);
  }
  }
  return failure();
}

LogicalResult Elaborator::elaborateGate(const ast::Stmt &stmt, Environment &env,
                                        Scope &scope, Flow &flow) {
  Value x = flow.current;
  auto xType = cast<RankedTensorType>(x.getType());
  if (xType.getRank() != 4) {
    error(stmt.loc, "gate needs an [N, C, H, W] input but the current tensor "
                    "is " +
                        shapeText(xType));
    return failure();
  }
  // The body runs on the input; its result scales the input's channels.
  Flow inner{flow.builder, x, {}};
  std::string layer;
  if (!stmt.asName.empty()) {
    auto name = claimName(stmt, "gate", scope);
    if (!name)
      return failure();
    Scope named;
    named.prefix = layer = scope.path(*name);
    reserveNames(stmt.body, named);
    if (failed(elaborateBody(stmt.body, env, named, inner)))
      return failure();
  } else if (failed(elaborateBody(stmt.body, env, scope, inner))) {
    return failure();
  }
  auto gType = cast<RankedTensorType>(inner.current.getType());
  ArrayRef<int64_t> g = gType.getShape();
  const int64_t c = xType.getDimSize(1);
  bool fits = (g.size() == 2 || (g.size() == 4 && g[2] == 1 && g[3] == 1)) &&
              (g[1] == c || g[1] < 0 || c < 0);
  if (!fits) {
    std::string channels = c < 0 ? "C" : std::to_string(c);
    error(stmt.loc, "the gate's body gives " + shapeText(gType) +
                        " but it must give [N, " + channels + "] or [N, " +
                        channels + ", 1, 1] to scale the input " +
                        shapeText(xType));
    return failure();
  }
  if (!countOp(stmt.loc))
    return failure();
  auto op = flow.builder.create<ChannelMulOp>(loc(stmt.loc), xType, x,
                                              inner.current, StringAttr());
  if (!layer.empty())
    op.setLayerAttr(flow.builder.getStringAttr(layer));
  flow.current = op;
  return success();
}

LogicalResult Elaborator::elaborateCall(const ast::Stmt &call,
                                        const std::string &path,
                                        Environment &env, Flow &flow) {
  if (isBuiltin(call.callee))
    return emitBuiltin(call, path, env, flow);
  auto it = definitions.find(call.callee);
  if (it == definitions.end()) {
    std::string hint;
    unsigned best = 3;
    auto consider = [&](llvm::StringRef name) {
      unsigned d = llvm::StringRef(call.callee).edit_distance(name);
      if (d < best) {
        best = d;
        hint = "; did you mean '" + name.str() + "'?";
      }
    };
    for (auto &[name, _] : definitions)
      consider(name);
    for (const char *b : {"conv", "bn", "relu", "gelu", "sigmoid", "tanh",
                          "relu6", "hardsigmoid", "hardswish", "silu",
                          "identity", "maxpool", "avgpool", "global_avgpool",
                          "flatten", "dense", "upsample", "softmax", "dropout"})
      consider(b);
    for (const char *b : {"layernorm", "channel_scale", "tokens", "class_token",
                          "pos_embedding", "token", "attention"})
      consider(b);
    error(call.loc, "unknown statement or block '" + call.callee + "'" + hint);
    return failure();
  }
  if (it->second->kind == ast::Definition::Kind::Model) {
    error(call.loc, "'" + call.callee +
                        "' is a model; only 'residual' and 'block' "
                        "definitions can be used as statements");
    return failure();
  }
  return instantiate(*it->second, call, path, env, flow);
}

LogicalResult Elaborator::instantiate(const ast::Definition &def,
                                      const ast::Stmt &call,
                                      const std::string &path, Environment &env,
                                      Flow &flow) {
  for (auto &frame : stack)
    if (frame.first == &def) {
      error(call.loc,
            "'" + def.name + "' uses itself; definitions cannot be recursive");
      return failure();
    }
  if (stack.size() >= size_t(kMaxNestingDepth)) {
    error(call.loc, "definitions nested deeper than " +
                        std::to_string(kMaxNestingDepth) + " levels");
    return failure();
  }
  auto inType = cast<RankedTensorType>(flow.current.getType());
  Environment calleeEnv;
  if (inType.getRank() >= 2 && !inType.isDynamicDim(1))
    calleeEnv.inChannels = inType.getDimSize(1);

  std::vector<ParamSpec> specs;
  for (const ast::Param &p : def.params) {
    ParamSpec spec{p.name, nullptr};
    if (p.defaultValue) {
      const ast::Expr *expr = p.defaultValue.get();
      spec.defaultValue = [this, expr](const Environment &e) {
        return evaluate(*expr, e, reporter());
      };
    }
    specs.push_back(std::move(spec));
  }
  stack.emplace_back(&def, call.loc);
  auto bound = bindArguments(def.name, specs, call.args, call.loc, env,
                             calleeEnv, reporter());
  LogicalResult result = failure();
  if (bound) {
    if (def.kind == ast::Definition::Kind::Residual) {
      result = instantiateResidual(def, call, path, *bound, flow);
    } else {
      Scope scope;
      scope.prefix = path;
      reserveNames(def.body, scope);
      Flow inner{flow.builder, flow.current, {}};
      result = elaborateBody(def.body, *bound, scope, inner);
      flow.current = inner.current;
    }
  }
  stack.pop_back();
  return result;
}

LogicalResult Elaborator::collectClauses(const ast::StmtList &body,
                                         const std::string &what,
                                         Clauses &clauses) {
  using K = ast::Stmt::Kind;
  for (const auto &stmt : body) {
    const ast::Stmt **slot = nullptr;
    const char *clause = "";
    if (stmt->kind == K::Shortcut) {
      slot = &clauses.shortcut;
      clause = "a shortcut clause";
    } else if (stmt->kind == K::After) {
      slot = &clauses.after;
      clause = "an 'after' clause";
    } else if (stmt->kind == K::Scale && stmt->name == "branch") {
      slot = &clauses.scaleBranch;
      clause = "a 'scale branch' clause";
    } else if (stmt->kind == K::Scale) {
      slot = &clauses.scaleOutput;
      clause = "a 'scale output' clause";
    }
    if (!slot)
      continue;
    if (*slot) {
      unsigned line = sourceMgr.getLineAndColumn((*slot)->loc).first;
      error(stmt->loc, what + " already has " + clause + " (line " +
                           std::to_string(line) + ")");
      return failure();
    }
    *slot = stmt.get();
  }
  if (clauses.shortcut)
    for (const auto &stmt : clauses.shortcut->body)
      if (stmt->kind == K::Shortcut || stmt->kind == K::After ||
          stmt->kind == K::Scale) {
        error(stmt->loc, "clauses are not allowed inside a shortcut");
        return failure();
      }
  return success();
}

static std::optional<Activation> activationNamed(llvm::StringRef name) {
  return symbolizeActivation(name);
}

LogicalResult Elaborator::instantiateResidual(const ast::Definition &def,
                                              const ast::Stmt &call,
                                              const std::string &path,
                                              Environment &env, Flow &flow) {
  Scope scope;
  scope.prefix = path;
  reserveNames(def.body, scope);
  return elaborateResidual({def.body, "residual block '" + def.name + "'",
                            "its definition", def.loc},
                           call.loc, path, env, scope, flow);
}

LogicalResult Elaborator::elaborateInlineResidual(const ast::Stmt &stmt,
                                                  Environment &env,
                                                  Scope &scope, Flow &flow) {
  // Anonymous, it names its statements in the enclosing scope and only its
  // op gets a generated label (for profiles); `as NAME` opens a scope.
  auto name = claimName(stmt, "residual", scope);
  if (!name)
    return failure();
  ResidualBody body{stmt.body, "the inline residual", "its body", stmt.loc};
  if (stmt.asName.empty())
    return elaborateResidual(body, stmt.loc, scope.path(*name), env, scope,
                             flow);
  Scope named;
  named.prefix = scope.path(*name);
  reserveNames(stmt.body, named);
  return elaborateResidual(body, stmt.loc, named.prefix, env, named, flow);
}

LogicalResult Elaborator::elaborateResidual(const ResidualBody &res,
                                            llvm::SMLoc at,
                                            const std::string &layer,
                                            Environment &env, Scope &scope,
                                            Flow &flow) {
  Clauses clauses;
  if (failed(collectClauses(res.body, res.what, clauses)))
    return failure();
  Value input = flow.current;
  Type inType = input.getType();
  auto op = flow.builder.create<ResidualOp>(loc(at), inType, input);
  op.setLayer(layer);
  if (!countOp(at))
    return failure();

  int64_t resizesBefore = dynamicResizes;
  Block *branch = new Block();
  op.getBranch().push_back(branch);
  branch->addArgument(inType, loc(res.loc));
  Flow inner{OpBuilder::atBlockEnd(branch), branch->getArgument(0), {}};
  for (const auto &stmt : res.body) {
    using K = ast::Stmt::Kind;
    if (stmt->kind == K::Shortcut || stmt->kind == K::After ||
        stmt->kind == K::Scale)
      continue;
    if (failed(elaborateStatement(*stmt, env, scope, inner)))
      return failure();
  }
  inner.builder.create<YieldOp>(loc(res.loc), inner.current);
  Type outType = inner.current.getType();
  bool changed = outType != inType || dynamicResizes != resizesBefore;

  const ast::Stmt *shortcut = clauses.shortcut;
  if (shortcut && (!shortcut->whenChanged || changed)) {
    Block *block = new Block();
    op.getShortcut().push_back(block);
    block->addArgument(inType, loc(shortcut->loc));
    Flow sc{OpBuilder::atBlockEnd(block), block->getArgument(0), {}};
    if (failed(elaborateBody(shortcut->body, env, scope, sc)))
      return failure();
    if (sc.current.getType() != outType) {
      error(shortcut->loc, "the shortcut of " + res.what + " gives " +
                               shapeText(sc.current.getType()) +
                               " but the branch gives " + shapeText(outType) +
                               "; they must match to be added");
      return failure();
    }
    sc.builder.create<YieldOp>(loc(shortcut->loc), sc.current);
  } else if (changed) {
    if (outType == inType) {
      error(at, res.what +
                    " may change the spatial size, which is only known "
                    "at run time, but has no shortcut for it; add "
                    "'shortcut when changed { ... }' to " +
                    res.where);
      return failure();
    }
    error(at, res.what + " changes the shape from " + shapeText(inType) +
                  " to " + shapeText(outType) +
                  " but has no shortcut for it; add 'shortcut when "
                  "changed { ... }' to " +
                  res.where);
    return failure();
  }

  if (const ast::Stmt *after = clauses.after) {
    auto kind = activationNamed(after->name);
    if (!kind) {
      error(after->nameLoc, "unknown activation '" + after->name +
                                "'; expected relu, gelu, sigmoid, tanh, "
                                "relu6, hardsigmoid, hardswish, silu or "
                                "identity");
      return failure();
    }
    op.setAfterAttr(ActivationAttr::get(&context, *kind));
  }
  for (auto [clause, isBranch] : {std::pair{clauses.scaleBranch, true},
                                  std::pair{clauses.scaleOutput, false}}) {
    if (!clause)
      continue;
    auto value = evaluate(*clause->value, env, reporter());
    if (!value)
      return failure();
    if (value->kind == Scalar::Kind::Bool) {
      error(clause->value->loc, "a scale must be a number, not a boolean");
      return failure();
    }
    auto attr = FloatAttr::get(Float64Type::get(&context), value->asReal());
    if (isBranch)
      op.setBranchScaleAttr(attr);
    else
      op.setOutputScaleAttr(attr);
  }
  op.getResult().setType(cast<RankedTensorType>(outType));
  flow.current = op.getResult();
  return success();
}

LogicalResult Elaborator::elaborateRepeat(const ast::Stmt &stmt,
                                          Environment &env, Scope &scope,
                                          Flow &flow) {
  auto count = evaluate(*stmt.count, env, reporter());
  if (!count)
    return failure();
  if (count->kind != Scalar::Kind::Int || count->i < 1 ||
      count->i > kMaxRepeatCount) {
    error(stmt.count->loc, "the repeat count must be an integer from 1 to " +
                               std::to_string(kMaxRepeatCount) + ", got " +
                               count->str());
    return failure();
  }
  int64_t first = 0;
  if (stmt.from) {
    if (stmt.tied) {
      error(stmt.from->loc, "'from' numbers the copies of an untied repeat; "
                            "a tied repeat has one set of parameters");
      return failure();
    }
    auto from = evaluate(*stmt.from, env, reporter());
    if (!from)
      return failure();
    if (from->kind != Scalar::Kind::Int || from->i < 0 ||
        from->i > kMaxRepeatCount) {
      error(stmt.from->loc, "'from' must be an integer from 0 to " +
                                std::to_string(kMaxRepeatCount) + ", got " +
                                from->str());
      return failure();
    }
    first = from->i;
  }
  const ast::Stmt &call = *stmt.repeated;
  std::string base = stmt.asName;
  if (base.empty()) {
    auto generated = claimName(stmt, call.callee, scope);
    if (!generated)
      return failure();
    base = *generated;
  }
  if (!stmt.tied) {
    const bool indexed = llvm::StringRef(base).contains("{i}");
    for (int64_t i = first; i < first + count->i; ++i) {
      std::string name = base + "." + std::to_string(i);
      if (indexed) {
        name.clear();
        llvm::StringRef rest = base;
        for (size_t at; (at = rest.find("{i}")) != llvm::StringRef::npos;
             rest = rest.drop_front(at + 3))
          name += rest.take_front(at).str() + std::to_string(i);
        name += rest.str();
      }
      if (!scope.used.insert(name).second) {
        error(stmt.asName.empty() ? stmt.loc : stmt.asLoc,
              "the name '" + name + "' is already used in this scope");
        return failure();
      }
      if (failed(elaborateCall(call, scope.path(name), env, flow)))
        return failure();
    }
    return success();
  }
  if (llvm::StringRef(base).contains("{i}")) {
    error(stmt.asLoc, "'{i}' stands for the index of a repeat's copy, but a "
                      "tied repeat has one set of parameters: name it "
                      "without '{i}'");
    return failure();
  }
  if (!stmt.asName.empty() && !scope.used.insert(base).second) {
    error(stmt.asLoc, "the name '" + base + "' is already used in this scope");
    return failure();
  }
  Value input = flow.current;
  auto op = flow.builder.create<RepeatOp>(loc(stmt.loc), input, count->i);
  op.setLayer(scope.path(base));
  if (!countOp(stmt.loc))
    return failure();
  Block *body = new Block();
  op.getBody().push_back(body);
  body->addArgument(input.getType(), loc(stmt.loc));
  Flow inner{OpBuilder::atBlockEnd(body), body->getArgument(0), {}};
  int64_t resizesBefore = dynamicResizes;
  if (failed(elaborateCall(call, scope.path(base), env, inner)))
    return failure();
  if (inner.current.getType() != input.getType() ||
      dynamicResizes != resizesBefore) {
    error(stmt.loc, "a tied repeat applies the same block again to its own "
                    "output, so the block must keep the shape, but '" +
                        call.callee + "' turns " + shapeText(input.getType()) +
                        " into " + shapeText(inner.current.getType()));
    return failure();
  }
  inner.builder.create<YieldOp>(loc(stmt.loc), inner.current);
  flow.current = op.getResult();
  return success();
}

} // namespace res
