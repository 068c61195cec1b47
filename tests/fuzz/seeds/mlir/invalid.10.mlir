func.func @flatten(%x: tensor<?x4x2x2xf32>) -> tensor<?x8xf32> {
  // expected-error@+1 {{result shape [?, 8] does not match the expected [?, 16]}}
  %0 = res.flatten %x : (tensor<?x4x2x2xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
