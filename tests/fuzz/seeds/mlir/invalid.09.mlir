func.func @global_pool(%x: tensor<?x4x8x8xf32>) -> tensor<?x8xf32> {
  // expected-error@+1 {{result shape [?, 8] does not match the expected [?, 4]}}
  %0 = res.global_avg_pool %x : (tensor<?x4x8x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
