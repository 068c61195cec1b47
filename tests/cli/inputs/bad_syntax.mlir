// A syntax error on line 4: the result type is missing.
module {
  func.func @m(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
    %y = res.activation relu %x
    return %y : tensor<?x2xf32>
  }
}
