// Every op prints, parses and prints again to the same text.
// RUN: res-opt %s | res-opt | FileCheck %s

// CHECK-LABEL: res.param @c.weight : tensor<8x4x3x3xf32>
// CHECK: res.param @c.bias : tensor<8xf32> = dense<5.000000e-01> : tensor<8xf32>
// CHECK: res.param @bn.running_mean : tensor<8xf32> {buffer}
res.param @c.weight : tensor<8x4x3x3xf32>
res.param @c.bias : tensor<8xf32> = dense<0.5> : tensor<8xf32>
res.param @bn.weight : tensor<8xf32>
res.param @bn.bias : tensor<8xf32>
res.param @bn.running_mean : tensor<8xf32> {buffer}
res.param @bn.running_var : tensor<8xf32> {buffer}
res.param @fc.weight : tensor<3x16xf32>
res.param @pw.weight : tensor<16x12xf32>
res.param @t.weight : tensor<8x8x3x3xf32>

// CHECK-LABEL: func.func @all_ops
// CHECK-SAME: {res.name = "x"}
func.func @all_ops(%x: tensor<?x4x8x8xf32> {res.name = "x"}) -> (tensor<?x3xf32> {res.name = "y"}) {
  // CHECK: %[[W:.*]] = res.weight @c.weight : tensor<8x4x3x3xf32>
  %w = res.weight @c.weight : tensor<8x4x3x3xf32>
  %b = res.weight @c.bias : tensor<8xf32>
  // CHECK: res.conv2d %{{.*}}, %[[W]], %{{.*}} {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "c", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<?x8x8x8xf32>
  %c = res.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "c", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<?x8x8x8xf32>
  %g = res.weight @bn.weight : tensor<8xf32>
  %be = res.weight @bn.bias : tensor<8xf32>
  %m = res.weight @bn.running_mean : tensor<8xf32>
  %v = res.weight @bn.running_var : tensor<8xf32>
  // CHECK: res.batch_norm
  %n = res.batch_norm %c, %g, %be, %m, %v {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64} : (tensor<?x8x8x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8x8x8xf32>
  // CHECK: res.activation gelu
  %a = res.activation gelu %n : tensor<?x8x8x8xf32>
  // CHECK: res.residual %{{.*}} after relu {branch_scale = 1.000000e-01 : f64, output_scale = 5.000000e-01 : f64}
  // CHECK-NEXT: ^bb0
  // CHECK: res.yield
  // CHECK: } shortcut {
  %r = res.residual %a after relu {branch_scale = 0.1 : f64, output_scale = 0.5 : f64} : tensor<?x8x8x8xf32> -> tensor<?x8x8x8xf32> branch {
  ^bb0(%i: tensor<?x8x8x8xf32>):
    %tw = res.weight @t.weight : tensor<8x8x3x3xf32>
    %tc = res.conv2d %i, %tw {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x8x8x8xf32>, tensor<8x8x3x3xf32>) -> tensor<?x8x8x8xf32>
    res.yield %tc : tensor<?x8x8x8xf32>
  } shortcut {
  ^bb0(%i: tensor<?x8x8x8xf32>):
    %s = res.activation identity %i : tensor<?x8x8x8xf32>
    res.yield %s : tensor<?x8x8x8xf32>
  }
  // CHECK: res.repeat %{{.*}} {count = 4 : i64} : tensor<?x8x8x8xf32> body
  %t = res.repeat %r {count = 4 : i64} : tensor<?x8x8x8xf32> body {
  ^bb0(%i: tensor<?x8x8x8xf32>):
    %s = res.activation tanh %i : tensor<?x8x8x8xf32>
    res.yield %s : tensor<?x8x8x8xf32>
  }
  // CHECK: res.max_pool2d
  %p = res.max_pool2d %t {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x8x8x8xf32>) -> tensor<?x8x4x4xf32>
  // CHECK: res.avg_pool2d
  %q = res.avg_pool2d %p {kernel = array<i64: 3, 3>, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x8x4x4xf32>) -> tensor<?x8x4x4xf32>
  // CHECK: res.upsample %{{.*}} {factor = 2 : i64}
  %u = res.upsample %q {factor = 2 : i64} : (tensor<?x8x4x4xf32>) -> tensor<?x8x8x8xf32>
  // CHECK: res.add %{{.*}}, %{{.*}} : tensor<?x8x8x8xf32>, tensor<?x4x8x8xf32>
  %s1 = res.add %u, %x : tensor<?x8x8x8xf32>, tensor<?x4x8x8xf32>
  // CHECK: res.concat
  %k = res.concat %s1, %x : (tensor<?x8x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x12x8x8xf32>
  %ap = res.avg_pool2d %k {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x12x8x8xf32>) -> tensor<?x12x4x4xf32>
  // CHECK: res.global_avg_pool
  %gp = res.global_avg_pool %ap : (tensor<?x12x4x4xf32>) -> tensor<?x12xf32>
  %pp = res.max_pool2d %ap {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x12x4x4xf32>) -> tensor<?x12x2x2xf32>
  // CHECK: res.flatten
  %f = res.flatten %pp : (tensor<?x12x2x2xf32>) -> tensor<?x48xf32>
  %fw = res.weight @fc.weight : tensor<3x16xf32>
  %sl = res.max_pool2d %ap {kernel = array<i64: 1, 1>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x12x4x4xf32>) -> tensor<?x12x4x4xf32>
  %d0 = res.flatten %sl : (tensor<?x12x4x4xf32>) -> tensor<?x192xf32>
  %gv = res.global_avg_pool %u : (tensor<?x8x8x8xf32>) -> tensor<?x8xf32>
  %gv2 = res.concat %gv, %gv : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x16xf32>
  // CHECK: res.dense %{{.*}}, %{{.*}} : (tensor<?x16xf32>, tensor<3x16xf32>) -> tensor<?x3xf32>
  %d = res.dense %gv2, %fw : (tensor<?x16xf32>, tensor<3x16xf32>) -> tensor<?x3xf32>
  // Per pixel: over C of [N, C, H, W].
  %pw = res.weight @pw.weight : tensor<16x12xf32>
  // CHECK: res.dense %{{.*}}, %{{.*}} : (tensor<?x12x4x4xf32>, tensor<16x12xf32>) -> tensor<?x16x4x4xf32>
  %dp = res.dense %ap, %pw : (tensor<?x12x4x4xf32>, tensor<16x12xf32>) -> tensor<?x16x4x4xf32>
  // CHECK: res.softmax
  %sm = res.softmax %d : tensor<?x3xf32>
  return %sm : tensor<?x3xf32>
}

// Layer norm with and without its affine, on [N, C, H, W] and [N, D];
// channel_scale on both.
// CHECK-LABEL: func.func @norms
// CHECK: res.layer_norm %arg0, %arg2, %arg2 {epsilon = {{.*}} : f64} : (tensor<?x6x5x5xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<?x6x5x5xf32>
// CHECK: res.layer_norm %arg1 {epsilon = 1.000000e-05 : f64} : (tensor<?x7xf32>) -> tensor<?x7xf32>
// CHECK: res.channel_scale %{{.*}}, %arg3 {init = {{.*}} : f64} : (tensor<?x6x5x5xf32>, tensor<6x1x1xf32>) -> tensor<?x6x5x5xf32>
// CHECK: res.channel_scale %{{.*}}, %arg4 {init = 1.000000e+00 : f64} : (tensor<?x7xf32>, tensor<7xf32>) -> tensor<?x7xf32>
func.func @norms(%x: tensor<?x6x5x5xf32>, %v: tensor<?x7xf32>, %w: tensor<6xf32>, %s: tensor<6x1x1xf32>, %s2: tensor<7xf32>) -> (tensor<?x6x5x5xf32>, tensor<?x7xf32>) {
  %a = res.layer_norm %x, %w, %w {epsilon = 1.0e-6 : f64} : (tensor<?x6x5x5xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<?x6x5x5xf32>
  %b = res.layer_norm %v {epsilon = 1.0e-5 : f64} : (tensor<?x7xf32>) -> tensor<?x7xf32>
  %c = res.channel_scale %a, %s {init = 1.0e-6 : f64} : (tensor<?x6x5x5xf32>, tensor<6x1x1xf32>) -> tensor<?x6x5x5xf32>
  %d = res.channel_scale %b, %s2 {init = 1.0 : f64} : (tensor<?x7xf32>, tensor<7xf32>) -> tensor<?x7xf32>
  return %c, %d : tensor<?x6x5x5xf32>, tensor<?x7xf32>
}

// Tokens [N, T, D]: from an image, the class token, the position embedding,
// attention with and without biases, its heads, one token.
// CHECK-LABEL: func.func @tokens
// CHECK: res.tokens %arg0 : (tensor<?x8x2x3xf32>) -> tensor<?x6x8xf32>
// CHECK: res.class_token %{{.*}}, %arg1 : (tensor<?x6x8xf32>, tensor<1x1x8xf32>) -> tensor<?x7x8xf32>
// CHECK: res.pos_embedding %{{.*}}, %arg2 : (tensor<?x7x8xf32>, tensor<1x7x8xf32>) -> tensor<?x7x8xf32>
// CHECK: res.attention %{{.*}}, in(%arg3, %arg4), out(%arg5, %arg6) {heads = 2 : i64} : (tensor<?x7x8xf32>, tensor<24x8xf32>, tensor<24xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x7x8xf32>
// CHECK: res.attention %{{.*}}, in(%arg3), out(%arg5) {heads = 4 : i64} : (tensor<?x7x8xf32>, tensor<24x8xf32>, tensor<8x8xf32>) -> tensor<?x7x8xf32>
// CHECK: res.attention_heads %{{.*}} {heads = 2 : i64} : (tensor<?x7x24xf32>) -> tensor<?x7x8xf32>
// CHECK: res.token %{{.*}} {index = 0 : i64} : (tensor<?x7x8xf32>) -> tensor<?x8xf32>
func.func @tokens(%x: tensor<?x8x2x3xf32>, %cls: tensor<1x1x8xf32>, %pos: tensor<1x7x8xf32>, %wi: tensor<24x8xf32>, %bi: tensor<24xf32>, %wo: tensor<8x8xf32>, %bo: tensor<8xf32>, %qkv: tensor<?x7x24xf32>) -> (tensor<?x8xf32>, tensor<?x7x8xf32>) {
  %t = res.tokens %x : (tensor<?x8x2x3xf32>) -> tensor<?x6x8xf32>
  %c = res.class_token %t, %cls : (tensor<?x6x8xf32>, tensor<1x1x8xf32>) -> tensor<?x7x8xf32>
  %p = res.pos_embedding %c, %pos : (tensor<?x7x8xf32>, tensor<1x7x8xf32>) -> tensor<?x7x8xf32>
  %a = res.attention %p, in(%wi, %bi), out(%wo, %bo) {heads = 2} : (tensor<?x7x8xf32>, tensor<24x8xf32>, tensor<24xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x7x8xf32>
  %b = res.attention %a, in(%wi), out(%wo) {heads = 4} : (tensor<?x7x8xf32>, tensor<24x8xf32>, tensor<8x8xf32>) -> tensor<?x7x8xf32>
  %h = res.attention_heads %qkv {heads = 2} : (tensor<?x7x24xf32>) -> tensor<?x7x8xf32>
  %o = res.token %b {index = 0} : (tensor<?x7x8xf32>) -> tensor<?x8xf32>
  return %o, %h : tensor<?x8xf32>, tensor<?x7x8xf32>
}
