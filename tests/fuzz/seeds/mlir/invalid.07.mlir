func.func @pool_padding(%x: tensor<?x4x8x8xf32>) -> tensor<?x4x9x9xf32> {
  // expected-error@+1 {{padding must be at most half the kernel size}}
  %0 = res.max_pool2d %x {kernel = array<i64: 2, 2>, padding = array<i64: 2, 2>, stride = array<i64: 1, 1>} : (tensor<?x4x8x8xf32>) -> tensor<?x4x9x9xf32>
  return %0 : tensor<?x4x9x9xf32>
}
