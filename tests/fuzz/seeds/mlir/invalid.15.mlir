func.func @residual_identity_shape(%x: tensor<?x4x2x2xf32>, %w: tensor<8x4x1x1xf32>) -> tensor<?x8x2x2xf32> {
  // expected-error@+1 {{the branch changes the shape}}
  %0 = res.residual %x : tensor<?x4x2x2xf32> -> tensor<?x8x2x2xf32> branch {
  ^bb0(%a: tensor<?x4x2x2xf32>):
    %c = res.conv2d %a, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x4x2x2xf32>, tensor<8x4x1x1xf32>) -> tensor<?x8x2x2xf32>
    res.yield %c : tensor<?x8x2x2xf32>
  }
  return %0 : tensor<?x8x2x2xf32>
}
