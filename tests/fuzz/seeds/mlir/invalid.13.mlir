func.func @add_more_channels(%x: tensor<?x4x2x2xf32>, %y: tensor<?x8x2x2xf32>) -> tensor<?x4x2x2xf32> {
  // expected-error@+1 {{cannot add [?, 8, 2, 2] to [?, 4, 2, 2]}}
  %0 = res.add %x, %y : tensor<?x4x2x2xf32>, tensor<?x8x2x2xf32>
  return %0 : tensor<?x4x2x2xf32>
}
