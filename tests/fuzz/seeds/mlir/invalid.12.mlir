func.func @upsample(%x: tensor<?x4x2x2xf32>) -> tensor<?x4x2x2xf32> {
  // expected-error@+1 {{factor must be at least 1, got 0}}
  %0 = res.upsample %x {factor = 0 : i64} : (tensor<?x4x2x2xf32>) -> tensor<?x4x2x2xf32>
  return %0 : tensor<?x4x2x2xf32>
}
