// Recursive-descent parser of .res files into the AST. It stops at the first
// syntax error, which it reports through `error`; the elaborator does all
// checks that need meaning (names, arity, shapes).
#ifndef RESC_FRONTEND_PARSER_H
#define RESC_FRONTEND_PARSER_H

#include "frontend/AST.h"
#include "frontend/Lexer.h"

#include <functional>

namespace res {

/// Limits that keep hostile input from exhausting the stack (documented in
/// docs/language.md).
constexpr int kMaxNestingDepth = 64;
constexpr int kMaxExpressionTerms = 1000;

using ErrorFn = std::function<void(llvm::SMLoc, const std::string &)>;

class Parser {
public:
  Parser(llvm::StringRef buffer, ErrorFn error)
      : lexer(buffer), error(std::move(error)) {}

  /// Returns false after reporting the first syntax error.
  bool parseFile(ast::File &file);

private:
  bool parseDefinition(ast::File &file);
  bool parseParams(ast::Definition &def);
  bool parseBody(ast::StmtList &body, int depth);
  std::unique_ptr<ast::Stmt> parseStatement(int depth);
  std::unique_ptr<ast::Stmt> parseCall(const Token &name);
  bool parseAs(ast::Stmt &stmt);
  bool parseInput(ast::Stmt &stmt);
  ast::ExprPtr parseExpr(int depth);
  ast::ExprPtr parseTerm(int depth);
  /// A left-associative chain of `operand`s joined by `first` or `second`.
  ast::ExprPtr parseBinary(int depth, Tok first, Tok second,
                           ast::ExprPtr (Parser::*operand)(int));
  ast::ExprPtr parseUnary(int depth);
  ast::ExprPtr parsePrimary(int depth);

  bool expect(Tok kind, const char *context);
  bool expectName(Token &out, const char *what);
  bool expectStatementEnd();
  bool fail(const Token &at, const std::string &message);
  void skipNewlines();

  Lexer lexer;
  ErrorFn error;
};

} // namespace res

#endif
