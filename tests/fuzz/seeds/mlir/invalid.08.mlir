func.func @pool_pair(%x: tensor<?x4x8x8xf32>) -> tensor<?x4x4x4xf32> {
  // expected-error@+1 {{'kernel' needs 2 values, got 1}}
  %0 = res.avg_pool2d %x {kernel = array<i64: 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x4x8x8xf32>) -> tensor<?x4x4x4xf32>
  return %0 : tensor<?x4x4x4xf32>
}
