// Convolutions: a 3x3 stride-1 kernel sees each input 9 times, so a
// kernel whose reshaped matrix has norm 1 (one tap of 1) bounds at 3; a
// 2x2 stride-2 kernel sees it once. Average pooling 2x2 stride 2 is 1/2,
// max pooling 3x3 stride 2 is sqrt(4) = 2, upsampling by 2 is 2 and
// global average over 4x4 is 1/4: 3 * 1 * 1/2 * 2 * 2 * 1/4 = 1.5.
// TABLE: Lipschitz bounds of 'convs' (power-iteration estimate)
// TABLE: network: 1.5
res.param @c3.weight : tensor<1x1x3x3xf32> = dense<[[[[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]]]> : tensor<1x1x3x3xf32>
res.param @c2.weight : tensor<1x1x2x2xf32> = dense<[[[[1.0, 0.0], [0.0, 0.0]]]]> : tensor<1x1x2x2xf32>
// expected-remark@+1 {{model 'convs': Lipschitz certified upper bound of the network 1.5, product over blocks 1}}
func.func @convs(%x: tensor<?x1x16x16xf32>) -> tensor<?x1xf32> {
  %w3 = res.weight @c3.weight : tensor<1x1x3x3xf32>
  %a = res.conv2d %x, %w3 {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x1x16x16xf32>, tensor<1x1x3x3xf32>) -> tensor<?x1x16x16xf32>
  %w2 = res.weight @c2.weight : tensor<1x1x2x2xf32>
  %b = res.conv2d %a, %w2 {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x1x16x16xf32>, tensor<1x1x2x2xf32>) -> tensor<?x1x8x8xf32>
  %c = res.avg_pool2d %b {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : (tensor<?x1x8x8xf32>) -> tensor<?x1x4x4xf32>
  %d = res.max_pool2d %c {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 1, 1>} : (tensor<?x1x4x4xf32>) -> tensor<?x1x2x2xf32>
  %u = res.upsample %d {factor = 2 : i64} : (tensor<?x1x2x2xf32>) -> tensor<?x1x4x4xf32>
  %g = res.global_avg_pool %u : (tensor<?x1x4x4xf32>) -> tensor<?x1xf32>
  return %g : tensor<?x1xf32>
}
