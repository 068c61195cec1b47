func.func @residual_yield(%x: tensor<?x4x2x2xf32>) -> tensor<?x4x2x2xf32> {
  %0 = res.residual %x : tensor<?x4x2x2xf32> -> tensor<?x4x2x2xf32> branch {
  ^bb0(%a: tensor<?x4x2x2xf32>):
    %p = res.max_pool2d %a {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x4x2x2xf32>) -> tensor<?x4x1x1xf32>
    // expected-error@+1 {{yields 'tensor<?x4x1x1xf32>' but the branch must give 'tensor<?x4x2x2xf32>'}}
    res.yield %p : tensor<?x4x1x1xf32>
  }
  return %0 : tensor<?x4x2x2xf32>
}
