#include "frontend/Parser.h"

#include "llvm/ADT/StringSwitch.h"

#include <cerrno>
#include <cstdlib>

namespace res {

using namespace ast;

static std::string describe(const Token &t) {
  switch (t.kind) {
  case Tok::Identifier:
  case Tok::Integer:
  case Tok::Real:
    return "'" + t.text.str() + "'";
  default:
    return tokenDescription(t.kind);
  }
}

bool Parser::fail(const Token &at, const std::string &message) {
  error(at.loc, at.is(Tok::Error) ? at.error : message);
  return false;
}

bool Parser::expect(Tok kind, const char *context) {
  if (lexer.peek().is(kind)) {
    lexer.take();
    return true;
  }
  return fail(lexer.peek(), std::string("expected ") + tokenDescription(kind) +
                                " " + context + ", found " +
                                describe(lexer.peek()));
}

bool Parser::expectName(Token &out, const char *what) {
  if (!lexer.peek().is(Tok::Identifier))
    return fail(lexer.peek(), std::string("expected ") + what + ", found " +
                                  describe(lexer.peek()));
  out = lexer.take();
  return true;
}

void Parser::skipNewlines() {
  while (lexer.peek().is(Tok::Newline))
    lexer.take();
}

bool Parser::expectStatementEnd() {
  const Token &t = lexer.peek();
  if (t.is(Tok::Newline)) {
    lexer.take();
    return true;
  }
  if (t.is(Tok::RBrace) || t.is(Tok::Eof))
    return true;
  return fail(t, "expected the end of the statement (a newline or ';'), "
                 "found " +
                     describe(t));
}

bool Parser::parseFile(File &file) {
  while (true) {
    skipNewlines();
    const Token &t = lexer.peek();
    if (t.is(Tok::Eof))
      return true;
    if (!parseDefinition(file))
      return false;
  }
}

bool Parser::parseDefinition(File &file) {
  Token keyword = lexer.peek();
  auto def = std::make_unique<Definition>();
  def->loc = keyword.loc;
  if (keyword.isKeyword("model"))
    def->kind = Definition::Kind::Model;
  else if (keyword.isKeyword("residual"))
    def->kind = Definition::Kind::Residual;
  else if (keyword.isKeyword("block"))
    def->kind = Definition::Kind::Block;
  else
    return fail(keyword, "expected a definition ('model', 'residual' or "
                         "'block'), found " +
                             describe(keyword));
  lexer.take();
  Token name;
  if (!expectName(name, "a definition name"))
    return false;
  def->name = name.text.str();
  def->nameLoc = name.loc;
  if (def->kind != Definition::Kind::Model && lexer.peek().is(Tok::LParen) &&
      !parseParams(*def))
    return false;
  if (!expect(Tok::LBrace, "to open the definition's body"))
    return false;
  if (!parseBody(def->body, 1))
    return false;
  if (!expect(Tok::RBrace, "to close the definition's body"))
    return false;
  file.definitions.push_back(std::move(def));
  return expectStatementEnd();
}

bool Parser::parseParams(Definition &def) {
  lexer.take(); // (
  if (lexer.peek().is(Tok::RParen)) {
    lexer.take();
    return true;
  }
  while (true) {
    Token name;
    if (!expectName(name, "a parameter name"))
      return false;
    Param p;
    p.name = name.text.str();
    p.loc = name.loc;
    if (lexer.peek().is(Tok::Equal)) {
      lexer.take();
      p.defaultValue = parseExpr(0);
      if (!p.defaultValue)
        return false;
    }
    def.params.push_back(std::move(p));
    if (lexer.peek().is(Tok::Comma)) {
      lexer.take();
      continue;
    }
    return expect(Tok::RParen, "after the parameters");
  }
}

bool Parser::parseBody(StmtList &body, int depth) {
  if (depth > kMaxNestingDepth)
    return fail(lexer.peek(), "nesting deeper than " +
                                  std::to_string(kMaxNestingDepth) + " levels");
  while (true) {
    skipNewlines();
    const Token &t = lexer.peek();
    if (t.is(Tok::RBrace) || t.is(Tok::Eof))
      return true;
    auto stmt = parseStatement(depth);
    if (!stmt)
      return false;
    body.push_back(std::move(stmt));
    if (!expectStatementEnd())
      return false;
  }
}

std::unique_ptr<Stmt> Parser::parseStatement(int depth) {
  Token first = lexer.peek();
  if (!first.is(Tok::Identifier)) {
    fail(first, "expected a statement, found " + describe(first));
    return nullptr;
  }
  auto stmt = std::make_unique<Stmt>();
  stmt->loc = first.loc;
  llvm::StringRef word = first.text;

  auto takeName = [&](const char *what) {
    Token name;
    if (!expectName(name, what))
      return false;
    stmt->name = name.text.str();
    stmt->nameLoc = name.loc;
    return true;
  };

  if (word == "input") {
    lexer.take();
    stmt->kind = Stmt::Kind::Input;
    return parseInput(*stmt) ? std::move(stmt) : nullptr;
  }
  if (word == "output" || word == "save" || word == "add" || word == "concat" ||
      word == "after") {
    lexer.take();
    stmt->kind = llvm::StringSwitch<Stmt::Kind>(word)
                     .Case("output", Stmt::Kind::Output)
                     .Case("save", Stmt::Kind::Save)
                     .Case("add", Stmt::Kind::Add)
                     .Case("concat", Stmt::Kind::Concat)
                     .Default(Stmt::Kind::After);
    const char *what = stmt->kind == Stmt::Kind::After
                           ? "an activation after 'after'"
                           : "a name";
    if (!takeName(what))
      return nullptr;
    if (stmt->kind == Stmt::Kind::Add && lexer.peek().isKeyword("pad")) {
      lexer.take();
      stmt->pad = true;
    }
    return stmt;
  }
  if (word == "shortcut") {
    lexer.take();
    stmt->kind = Stmt::Kind::Shortcut;
    if (lexer.peek().isKeyword("when")) {
      lexer.take();
      if (!lexer.peek().isKeyword("changed")) {
        fail(lexer.peek(), "expected 'changed' after 'shortcut when'");
        return nullptr;
      }
      lexer.take();
      stmt->whenChanged = true;
    }
    if (!expect(Tok::LBrace, "to open the shortcut") ||
        !parseBody(stmt->body, depth + 1) ||
        !expect(Tok::RBrace, "to close the shortcut"))
      return nullptr;
    return stmt;
  }
  if (word == "gate" || word == "residual") {
    lexer.take();
    const bool gate = word == "gate";
    stmt->kind = gate ? Stmt::Kind::Gate : Stmt::Kind::Residual;
    if (!expect(Tok::LBrace,
                gate ? "to open the gate" : "to open the inline residual") ||
        !parseBody(stmt->body, depth + 1) ||
        !expect(Tok::RBrace,
                gate ? "to close the gate" : "to close the inline residual"))
      return nullptr;
    if (lexer.peek().isKeyword("as") && !parseAs(*stmt))
      return nullptr;
    return stmt;
  }
  if (word == "scale") {
    lexer.take();
    stmt->kind = Stmt::Kind::Scale;
    const Token &which = lexer.peek();
    if (!which.isKeyword("branch") && !which.isKeyword("output")) {
      fail(which, "expected 'branch' or 'output' after 'scale', found " +
                      describe(which));
      return nullptr;
    }
    if (!takeName("'branch' or 'output'") ||
        !expect(Tok::Equal, "in the scale clause"))
      return nullptr;
    stmt->value = parseExpr(0);
    return stmt->value ? std::move(stmt) : nullptr;
  }
  if (word == "repeat") {
    lexer.take();
    stmt->kind = Stmt::Kind::Repeat;
    stmt->count = parseExpr(0);
    if (!stmt->count)
      return nullptr;
    if (lexer.peek().isKeyword("tied")) {
      lexer.take();
      stmt->tied = true;
    }
    Token callee;
    if (!expectName(callee, "the block to repeat"))
      return nullptr;
    stmt->repeated = parseCall(callee);
    if (!stmt->repeated)
      return nullptr;
    // `as P from k` belongs to the repeat, not to the repeated call.
    stmt->asName = std::move(stmt->repeated->asName);
    stmt->asLoc = stmt->repeated->asLoc;
    if (lexer.peek().isKeyword("from")) {
      if (stmt->asName.empty()) {
        fail(lexer.peek(), "'from' needs a name: repeat n BLOCK as NAME "
                           "from k");
        return nullptr;
      }
      lexer.take();
      stmt->from = parseExpr(0);
      if (!stmt->from)
        return nullptr;
    }
    return stmt;
  }
  lexer.take();
  return parseCall(first);
}

std::unique_ptr<Stmt> Parser::parseCall(const Token &name) {
  auto stmt = std::make_unique<Stmt>();
  stmt->kind = Stmt::Kind::Call;
  stmt->loc = name.loc;
  stmt->callee = name.text.str();
  if (lexer.peek().is(Tok::LParen)) {
    lexer.take();
    stmt->hasParens = true;
    if (!lexer.peek().is(Tok::RParen)) {
      while (true) {
        Argument arg;
        arg.loc = lexer.peek().loc;
        // `name = value` or a positional expression.
        if (lexer.peek().is(Tok::Identifier)) {
          Token maybeName = lexer.peek();
          // One token of lookahead is all the lexer has, so parse the
          // expression and reinterpret a lone name followed by '='.
          auto expr = parseExpr(0);
          if (!expr)
            return nullptr;
          if (lexer.peek().is(Tok::Equal) && expr->kind == Expr::Kind::Name) {
            lexer.take();
            arg.name = maybeName.text.str();
            arg.value = parseExpr(0);
            if (!arg.value)
              return nullptr;
          } else {
            arg.value = std::move(expr);
          }
        } else {
          arg.value = parseExpr(0);
          if (!arg.value)
            return nullptr;
        }
        stmt->args.push_back(std::move(arg));
        if (lexer.peek().is(Tok::Comma)) {
          lexer.take();
          continue;
        }
        break;
      }
    }
    if (!expect(Tok::RParen, "to close the argument list"))
      return nullptr;
  }
  if (lexer.peek().isKeyword("as") && !parseAs(*stmt))
    return nullptr;
  return stmt;
}

bool Parser::parseAs(Stmt &stmt) {
  lexer.take(); // as
  Token path = lexer.takePath();
  if (path.is(Tok::Error))
    return fail(path, path.error);
  stmt.asName = path.text.str();
  stmt.asLoc = path.loc;
  return true;
}

bool Parser::parseInput(Stmt &stmt) {
  Token name;
  if (!expectName(name, "the input's name"))
    return false;
  stmt.name = name.text.str();
  stmt.nameLoc = name.loc;
  if (!expect(Tok::Colon, "after the input's name"))
    return false;
  Token type;
  if (!expectName(type, "an element type such as f32"))
    return false;
  stmt.elementType = type.text.str();
  stmt.nameLoc = name.loc;
  if (!expect(Tok::LBracket, "to open the input's dimensions"))
    return false;
  while (true) {
    const Token &t = lexer.peek();
    Dim dim;
    dim.loc = t.loc;
    if (t.is(Tok::Integer)) {
      errno = 0;
      long long v = std::strtoll(t.text.str().c_str(), nullptr, 10);
      if (errno == ERANGE)
        return fail(t, "dimension " + t.text.str() + " is too large");
      dim.size = v;
    } else if (t.is(Tok::Identifier)) {
      dim.symbol = t.text.str();
    } else {
      return fail(t, "expected a dimension (a number or a name such as N), "
                     "found " +
                         describe(t));
    }
    lexer.take();
    stmt.dims.push_back(std::move(dim));
    if (lexer.peek().is(Tok::Comma)) {
      lexer.take();
      continue;
    }
    return expect(Tok::RBracket, "to close the input's dimensions");
  }
}

ExprPtr Parser::parseExpr(int depth) {
  return parseBinary(depth, Tok::Plus, Tok::Minus, &Parser::parseTerm);
}

ExprPtr Parser::parseTerm(int depth) {
  return parseBinary(depth, Tok::Star, Tok::Slash, &Parser::parseUnary);
}

ExprPtr Parser::parseBinary(int depth, Tok first, Tok second,
                            ExprPtr (Parser::*operand)(int)) {
  auto lhs = (this->*operand)(depth);
  int terms = 0;
  while (lhs && (lexer.peek().is(first) || lexer.peek().is(second))) {
    // Trees are evaluated recursively: bound their depth.
    if (++terms > kMaxExpressionTerms) {
      fail(lexer.peek(), "expression longer than " +
                             std::to_string(kMaxExpressionTerms) + " terms");
      return nullptr;
    }
    Token op = lexer.take();
    auto rhs = (this->*operand)(depth);
    if (!rhs)
      return nullptr;
    auto bin = std::make_unique<Expr>();
    bin->kind = Expr::Kind::Binary;
    bin->loc = op.loc;
    bin->op = op.text[0];
    bin->lhs = std::move(lhs);
    bin->rhs = std::move(rhs);
    lhs = std::move(bin);
  }
  return lhs;
}

ExprPtr Parser::parseUnary(int depth) {
  if (depth > kMaxNestingDepth) {
    fail(lexer.peek(), "expression nested deeper than " +
                           std::to_string(kMaxNestingDepth) + " levels");
    return nullptr;
  }
  if (lexer.peek().is(Tok::Minus)) {
    Token op = lexer.take();
    auto operand = parseUnary(depth + 1);
    if (!operand)
      return nullptr;
    auto neg = std::make_unique<Expr>();
    neg->kind = Expr::Kind::Negate;
    neg->loc = op.loc;
    neg->lhs = std::move(operand);
    return neg;
  }
  return parsePrimary(depth);
}

ExprPtr Parser::parsePrimary(int depth) {
  Token t = lexer.peek();
  auto e = std::make_unique<Expr>();
  e->loc = t.loc;
  switch (t.kind) {
  case Tok::Integer: {
    errno = 0;
    long long v = std::strtoll(t.text.str().c_str(), nullptr, 10);
    if (errno == ERANGE) {
      fail(t, "integer " + t.text.str() + " is too large");
      return nullptr;
    }
    e->kind = Expr::Kind::Integer;
    e->integer = v;
    lexer.take();
    return e;
  }
  case Tok::Real:
    e->kind = Expr::Kind::Real;
    e->real = std::strtod(t.text.str().c_str(), nullptr);
    lexer.take();
    return e;
  case Tok::Identifier:
    e->kind = Expr::Kind::Name;
    e->name = t.text.str();
    lexer.take();
    return e;
  case Tok::LParen: {
    lexer.take();
    auto inner = parseExpr(depth + 1);
    if (!inner || !expect(Tok::RParen, "to close the parenthesis"))
      return nullptr;
    return inner;
  }
  default:
    fail(t, "expected an expression, found " + describe(t));
    return nullptr;
  }
}

} // namespace res
