// Verifier errors of the res dialect, one case per split.
// RUN: res-opt %s -split-input-file -verify-diagnostics

func.func @conv_channels(%x: tensor<?x3x8x8xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<?x8x8x8xf32> {
  // expected-error@+1 {{input has 3 channels but the weight [8, 4, 3, 3] with groups=1 expects 4}}
  %0 = res.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<?x8x8x8xf32>
  return %0 : tensor<?x8x8x8xf32>
}

// -----

func.func @conv_result(%x: tensor<?x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<?x8x8x8xf32> {
  // expected-error@+1 {{result shape [?, 8, 8, 8] does not match the expected [?, 8, 4, 4]}}
  %0 = res.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 2, 2>} : (tensor<?x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<?x8x8x8xf32>
  return %0 : tensor<?x8x8x8xf32>
}

// -----

func.func @conv_stride(%x: tensor<?x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<?x8x8x8xf32> {
  // expected-error@+1 {{'stride' must be at least 1, got 0}}
  %0 = res.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 0, 1>} : (tensor<?x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<?x8x8x8xf32>
  return %0 : tensor<?x8x8x8xf32>
}

// -----

func.func @conv_bias(%x: tensor<?x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<7xf32>) -> tensor<?x8x8x8xf32> {
  // expected-error@+1 {{bias has 7 elements, expected 8}}
  %0 = res.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<7xf32>) -> tensor<?x8x8x8xf32>
  return %0 : tensor<?x8x8x8xf32>
}

// -----

func.func @conv_window(%x: tensor<?x4x2x2xf32>, %w: tensor<8x4x5x5xf32>) -> tensor<?x8x1x1xf32> {
  // expected-error@+1 {{window of 5 does not fit the input size 2}}
  %0 = res.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x4x2x2xf32>, tensor<8x4x5x5xf32>) -> tensor<?x8x1x1xf32>
  return %0 : tensor<?x8x1x1xf32>
}

// -----

func.func @bn_params(%x: tensor<?x4x8x8xf32>, %v: tensor<4xf32>, %bad: tensor<5xf32>) -> tensor<?x4x8x8xf32> {
  // expected-error@+1 {{running_var has 5 elements, expected 4}}
  %0 = res.batch_norm %x, %v, %v, %v, %bad {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<5xf32>) -> tensor<?x4x8x8xf32>
  return %0 : tensor<?x4x8x8xf32>
}

// -----

func.func @bn_eps(%x: tensor<?x4xf32>, %v: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error@+1 {{epsilon must be positive}}
  %0 = res.batch_norm %x, %v, %v, %v, %v {epsilon = 0.0 : f64, momentum = 1.0e-01 : f64} : (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @pool_padding(%x: tensor<?x4x8x8xf32>) -> tensor<?x4x9x9xf32> {
  // expected-error@+1 {{padding must be at most half the kernel size}}
  %0 = res.max_pool2d %x {kernel = array<i64: 2, 2>, padding = array<i64: 2, 2>, stride = array<i64: 1, 1>} : (tensor<?x4x8x8xf32>) -> tensor<?x4x9x9xf32>
  return %0 : tensor<?x4x9x9xf32>
}

// -----

func.func @pool_pair(%x: tensor<?x4x8x8xf32>) -> tensor<?x4x4x4xf32> {
  // expected-error@+1 {{'kernel' needs 2 values, got 1}}
  %0 = res.avg_pool2d %x {kernel = array<i64: 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x4x8x8xf32>) -> tensor<?x4x4x4xf32>
  return %0 : tensor<?x4x4x4xf32>
}

// -----

func.func @global_pool(%x: tensor<?x4x8x8xf32>) -> tensor<?x8xf32> {
  // expected-error@+1 {{result shape [?, 8] does not match the expected [?, 4]}}
  %0 = res.global_avg_pool %x : (tensor<?x4x8x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @flatten(%x: tensor<?x4x2x2xf32>) -> tensor<?x8xf32> {
  // expected-error@+1 {{result shape [?, 8] does not match the expected [?, 16]}}
  %0 = res.flatten %x : (tensor<?x4x2x2xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @dense(%x: tensor<?x5xf32>, %w: tensor<3x4xf32>) -> tensor<?x3xf32> {
  // expected-error@+1 {{input has 5 features but the weight [3, 4] expects 4}}
  %0 = res.dense %x, %w : (tensor<?x5xf32>, tensor<3x4xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

func.func @dense_per_pixel(%x: tensor<?x4x3x3xf32>, %w: tensor<6x4xf32>) -> tensor<?x6x3x1xf32> {
  // expected-error@+1 {{result shape [?, 6, 3, 1] does not match the expected [?, 6, 3, 3]}}
  %0 = res.dense %x, %w : (tensor<?x4x3x3xf32>, tensor<6x4xf32>) -> tensor<?x6x3x1xf32>
  return %0 : tensor<?x6x3x1xf32>
}

// -----

func.func @dense_rank(%x: tensor<?x4x3x2x1xf32>, %w: tensor<6x4xf32>) -> tensor<?x6x3x2x1xf32> {
  // expected-error@+1 {{input must be [N, D], [N, T, D] or [N, C, H, W], got [?, 4, 3, 2, 1]}}
  %0 = res.dense %x, %w : (tensor<?x4x3x2x1xf32>, tensor<6x4xf32>) -> tensor<?x6x3x2x1xf32>
  return %0 : tensor<?x6x3x2x1xf32>
}

// -----

func.func @upsample(%x: tensor<?x4x2x2xf32>) -> tensor<?x4x2x2xf32> {
  // expected-error@+1 {{factor must be at least 1, got 0}}
  %0 = res.upsample %x {factor = 0 : i64} : (tensor<?x4x2x2xf32>) -> tensor<?x4x2x2xf32>
  return %0 : tensor<?x4x2x2xf32>
}

// -----

func.func @add_more_channels(%x: tensor<?x4x2x2xf32>, %y: tensor<?x8x2x2xf32>) -> tensor<?x4x2x2xf32> {
  // expected-error@+1 {{cannot add [?, 8, 2, 2] to [?, 4, 2, 2]}}
  %0 = res.add %x, %y : tensor<?x4x2x2xf32>, tensor<?x8x2x2xf32>
  return %0 : tensor<?x4x2x2xf32>
}

// -----

func.func @concat(%x: tensor<?x4x2x2xf32>, %y: tensor<?x4x3x3xf32>) -> tensor<?x8x2x2xf32> {
  // expected-error@+1 {{differ outside the channel dimension}}
  %0 = res.concat %x, %y : (tensor<?x4x2x2xf32>, tensor<?x4x3x3xf32>) -> tensor<?x8x2x2xf32>
  return %0 : tensor<?x8x2x2xf32>
}

// -----

func.func @residual_identity_shape(%x: tensor<?x4x2x2xf32>, %w: tensor<8x4x1x1xf32>) -> tensor<?x8x2x2xf32> {
  // expected-error@+1 {{the branch changes the shape}}
  %0 = res.residual %x : tensor<?x4x2x2xf32> -> tensor<?x8x2x2xf32> branch {
  ^bb0(%a: tensor<?x4x2x2xf32>):
    %c = res.conv2d %a, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x4x2x2xf32>, tensor<8x4x1x1xf32>) -> tensor<?x8x2x2xf32>
    res.yield %c : tensor<?x8x2x2xf32>
  }
  return %0 : tensor<?x8x2x2xf32>
}

// -----

func.func @residual_yield(%x: tensor<?x4x2x2xf32>) -> tensor<?x4x2x2xf32> {
  %0 = res.residual %x : tensor<?x4x2x2xf32> -> tensor<?x4x2x2xf32> branch {
  ^bb0(%a: tensor<?x4x2x2xf32>):
    %p = res.max_pool2d %a {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x4x2x2xf32>) -> tensor<?x4x1x1xf32>
    // expected-error@+1 {{yields 'tensor<?x4x1x1xf32>' but the branch must give 'tensor<?x4x2x2xf32>'}}
    res.yield %p : tensor<?x4x1x1xf32>
  }
  return %0 : tensor<?x4x2x2xf32>
}

// -----

func.func @residual_scale(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error@+1 {{scales must be finite}}
  %0 = res.residual %x {branch_scale = 0x7FF0000000000000 : f64} : tensor<?x4xf32> -> tensor<?x4xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    res.yield %a : tensor<?x4xf32>
  }
  return %0 : tensor<?x4xf32>
}

// -----

func.func @repeat_count(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error@+1 {{count must be at least 1, got 0}}
  %0 = res.repeat %x {count = 0 : i64} : tensor<?x4xf32> body {
  ^bb0(%a: tensor<?x4xf32>):
    res.yield %a : tensor<?x4xf32>
  }
  return %0 : tensor<?x4xf32>
}

// -----

func.func @residual_isolated(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-note@+1 {{required by region isolation constraints}}
  %0 = res.residual %x : tensor<?x4xf32> -> tensor<?x4xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    // expected-error@+1 {{using value defined outside the region}}
    res.yield %x : tensor<?x4xf32>
  }
  return %0 : tensor<?x4xf32>
}

// -----

res.param @p : tensor<4xf32>
func.func @weight_type() -> tensor<5xf32> {
  // expected-error@+1 {{type 'tensor<5xf32>' does not match parameter @p of type 'tensor<4xf32>'}}
  %0 = res.weight @p : tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

func.func @weight_unknown() -> tensor<5xf32> {
  // expected-error@+1 {{unknown parameter @q}}
  %0 = res.weight @q : tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

// expected-error@+1 {{value of type 'tensor<3xf32>' does not match the declared type 'tensor<4xf32>'}}
res.param @bound : tensor<4xf32> = dense<1.0> : tensor<3xf32>

// -----

// expected-error@+1 {{parameter shapes must be static}}
res.param @dyn : tensor<?xf32>

// -----

func.func @layer_norm_rank(%x: tensor<?x4x8x2x1xf32>) -> tensor<?x4x8x2x1xf32> {
  // expected-error@+1 {{input must be [N, C, H, W], [N, T, D] or [N, D], got [?, 4, 8, 2, 1]}}
  %0 = res.layer_norm %x {epsilon = 1.0e-5 : f64} : (tensor<?x4x8x2x1xf32>) -> tensor<?x4x8x2x1xf32>
  return %0 : tensor<?x4x8x2x1xf32>
}

// -----

func.func @layer_norm_weight(%x: tensor<?x4x8x8xf32>, %w: tensor<8xf32>) -> tensor<?x4x8x8xf32> {
  // expected-error@+1 {{weight has 8 elements, expected 4}}
  %0 = res.layer_norm %x, %w, %w {epsilon = 1.0e-5 : f64} : (tensor<?x4x8x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x4x8x8xf32>
  return %0 : tensor<?x4x8x8xf32>
}

// -----

func.func @layer_norm_epsilon(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error@+1 {{epsilon must be positive}}
  %0 = res.layer_norm %x {epsilon = 0.0 : f64} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @channel_scale_shape(%x: tensor<?x4x8x8xf32>, %s: tensor<4xf32>) -> tensor<?x4x8x8xf32> {
  // expected-error@+1 {{scale must be [4, 1, 1] for an input of [?, 4, 8, 8], got [4]}}
  %0 = res.channel_scale %x, %s {init = 1.0e-6 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  return %0 : tensor<?x4x8x8xf32>
}

// -----

func.func @channel_scale_vector(%x: tensor<?x5xf32>, %s: tensor<4xf32>) -> tensor<?x5xf32> {
  // expected-error@+1 {{scale must be [5] for an input of [?, 5], got [4]}}
  %0 = res.channel_scale %x, %s {init = 1.0e-6 : f64} : (tensor<?x5xf32>, tensor<4xf32>) -> tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}

// -----

func.func @channel_scale_init(%x: tensor<?x4xf32>, %s: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error@+1 {{init must be finite}}
  %0 = res.channel_scale %x, %s {init = 0x7FF0000000000000 : f64} : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @attention_heads_divide(%x: tensor<?x4x10xf32>, %wi: tensor<30x10xf32>, %wo: tensor<10x10xf32>) -> tensor<?x4x10xf32> {
  // expected-error@+1 {{10 features are not divisible by 3 heads}}
  %0 = res.attention %x, in(%wi), out(%wo) {heads = 3} : (tensor<?x4x10xf32>, tensor<30x10xf32>, tensor<10x10xf32>) -> tensor<?x4x10xf32>
  return %0 : tensor<?x4x10xf32>
}

// -----

func.func @attention_weight(%x: tensor<?x4x10xf32>, %wi: tensor<20x10xf32>, %wo: tensor<10x10xf32>) -> tensor<?x4x10xf32> {
  // expected-error@+1 {{in_weight must be [30, 10], got [20, 10]}}
  %0 = res.attention %x, in(%wi), out(%wo) {heads = 2} : (tensor<?x4x10xf32>, tensor<20x10xf32>, tensor<10x10xf32>) -> tensor<?x4x10xf32>
  return %0 : tensor<?x4x10xf32>
}

// -----

func.func @attention_one_bias(%x: tensor<?x4x10xf32>, %wi: tensor<30x10xf32>, %bi: tensor<30xf32>, %wo: tensor<10x10xf32>) -> tensor<?x4x10xf32> {
  // expected-error@+1 {{in_bias and out_bias must be both given or both absent}}
  %0 = res.attention %x, in(%wi, %bi), out(%wo) {heads = 2} : (tensor<?x4x10xf32>, tensor<30x10xf32>, tensor<30xf32>, tensor<10x10xf32>) -> tensor<?x4x10xf32>
  return %0 : tensor<?x4x10xf32>
}

// -----

func.func @token_range(%x: tensor<?x4x10xf32>) -> tensor<?x10xf32> {
  // expected-error@+1 {{token 4 is out of range for [?, 4, 10]}}
  %0 = res.token %x {index = 4} : (tensor<?x4x10xf32>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

func.func @pos_embedding_tokens(%x: tensor<?x4x10xf32>, %e: tensor<1x5x10xf32>) -> tensor<?x4x10xf32> {
  // expected-error@+1 {{embedding must be [1, 4, 10] for an input of [?, 4, 10], got [1, 5, 10]}}
  %0 = res.pos_embedding %x, %e : (tensor<?x4x10xf32>, tensor<1x5x10xf32>) -> tensor<?x4x10xf32>
  return %0 : tensor<?x4x10xf32>
}

// -----

func.func @class_token_shape(%x: tensor<?x4x10xf32>, %t: tensor<1x1x8xf32>) -> tensor<?x5x10xf32> {
  // expected-error@+1 {{token must be [1, 1, 10] for an input of [?, 4, 10], got [1, 1, 8]}}
  %0 = res.class_token %x, %t : (tensor<?x4x10xf32>, tensor<1x1x8xf32>) -> tensor<?x5x10xf32>
  return %0 : tensor<?x5x10xf32>
}

// -----

func.func @tokens_shape(%x: tensor<?x8x2x3xf32>) -> tensor<?x8x6xf32> {
  // expected-error@+1 {{result shape [?, 8, 6] does not match the expected [?, 6, 8]}}
  %0 = res.tokens %x : (tensor<?x8x2x3xf32>) -> tensor<?x8x6xf32>
  return %0 : tensor<?x8x6xf32>
}
