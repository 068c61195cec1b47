func.func @residual_scale(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error@+1 {{scales must be finite}}
  %0 = res.residual %x {branch_scale = 0x7FF0000000000000 : f64} : tensor<?x4xf32> -> tensor<?x4xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    res.yield %a : tensor<?x4xf32>
  }
  return %0 : tensor<?x4xf32>
}
