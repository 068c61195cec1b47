func.func @concat(%x: tensor<?x4x2x2xf32>, %y: tensor<?x4x3x3xf32>) -> tensor<?x8x2x2xf32> {
  // expected-error@+1 {{differ outside the channel dimension}}
  %0 = res.concat %x, %y : (tensor<?x4x2x2xf32>, tensor<?x4x3x3xf32>) -> tensor<?x8x2x2xf32>
  return %0 : tensor<?x8x2x2xf32>
}
