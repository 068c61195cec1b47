// Test model for resc's CLI tests, written by tests/cli/inputs/make_inputs.py.
module {
  res.param @stem.weight : tensor<4x3x3x3xf32>
  res.param @stem.bias : tensor<4xf32>
  res.param @bn1.weight : tensor<4xf32>
  res.param @bn1.bias : tensor<4xf32>
  res.param @bn1.running_mean : tensor<4xf32> {buffer}
  res.param @bn1.running_var : tensor<4xf32> {buffer}
  res.param @layer1.0.conv1.weight : tensor<4x4x3x3xf32>
  res.param @layer1.0.bn1.weight : tensor<4xf32>
  res.param @layer1.0.bn1.bias : tensor<4xf32>
  res.param @layer1.0.bn1.running_mean : tensor<4xf32> {buffer}
  res.param @layer1.0.bn1.running_var : tensor<4xf32> {buffer}
  res.param @layer1.0.conv2.weight : tensor<4x4x3x3xf32>
  res.param @layer1.0.bn2.weight : tensor<4xf32>
  res.param @layer1.0.bn2.bias : tensor<4xf32>
  res.param @layer1.0.bn2.running_mean : tensor<4xf32> {buffer}
  res.param @layer1.0.bn2.running_var : tensor<4xf32> {buffer}
  res.param @layer2.0.conv1.weight : tensor<8x4x3x3xf32>
  res.param @layer2.0.bn1.weight : tensor<8xf32>
  res.param @layer2.0.bn1.bias : tensor<8xf32>
  res.param @layer2.0.bn1.running_mean : tensor<8xf32> {buffer}
  res.param @layer2.0.bn1.running_var : tensor<8xf32> {buffer}
  res.param @layer2.0.conv2.weight : tensor<8x8x3x3xf32>
  res.param @layer2.0.bn2.weight : tensor<8xf32>
  res.param @layer2.0.bn2.bias : tensor<8xf32>
  res.param @layer2.0.bn2.running_mean : tensor<8xf32> {buffer}
  res.param @layer2.0.bn2.running_var : tensor<8xf32> {buffer}
  res.param @layer2.0.downsample.0.weight : tensor<8x4x1x1xf32>
  res.param @layer2.0.downsample.1.weight : tensor<8xf32>
  res.param @layer2.0.downsample.1.bias : tensor<8xf32>
  res.param @layer2.0.downsample.1.running_mean : tensor<8xf32> {buffer}
  res.param @layer2.0.downsample.1.running_var : tensor<8xf32> {buffer}
  res.param @ode.conv.weight : tensor<8x8x3x3xf32>
  res.param @ode.conv.bias : tensor<8xf32>
  res.param @fc.weight : tensor<10x8xf32>
  res.param @fc.bias : tensor<10xf32>
  func.func @tiny(%x: tensor<?x3x8x8xf32> {res.name = "image"}) -> (tensor<?x10xf32> {res.name = "logits"}) {
    %v1 = res.weight @stem.weight : tensor<4x3x3x3xf32>
    %v2 = res.weight @stem.bias : tensor<4xf32>
    %v3 = res.conv2d %x, %v1, %v2 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "stem", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
    %v4 = res.weight @bn1.weight : tensor<4xf32>
    %v5 = res.weight @bn1.bias : tensor<4xf32>
    %v6 = res.weight @bn1.running_mean : tensor<4xf32>
    %v7 = res.weight @bn1.running_var : tensor<4xf32>
    %v8 = res.batch_norm %v3, %v4, %v5, %v6, %v7 {epsilon = 1.000000e-05 : f64, layer = "bn1", momentum = 1.000000e-01 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
    %v9 = res.activation relu %v8 : tensor<?x4x8x8xf32>
    %v10 = res.residual %v9 after relu {layer = "layer1.0"} : tensor<?x4x8x8xf32> -> tensor<?x4x8x8xf32> branch {
      ^bb0(%v11: tensor<?x4x8x8xf32>):
      %v12 = res.weight @layer1.0.conv1.weight : tensor<4x4x3x3xf32>
      %v13 = res.conv2d %v11, %v12 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "layer1.0.conv1", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<?x4x8x8xf32>
      %v14 = res.weight @layer1.0.bn1.weight : tensor<4xf32>
      %v15 = res.weight @layer1.0.bn1.bias : tensor<4xf32>
      %v16 = res.weight @layer1.0.bn1.running_mean : tensor<4xf32>
      %v17 = res.weight @layer1.0.bn1.running_var : tensor<4xf32>
      %v18 = res.batch_norm %v13, %v14, %v15, %v16, %v17 {epsilon = 1.000000e-05 : f64, layer = "layer1.0.bn1", momentum = 1.000000e-01 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
      %v19 = res.activation relu %v18 : tensor<?x4x8x8xf32>
      %v20 = res.weight @layer1.0.conv2.weight : tensor<4x4x3x3xf32>
      %v21 = res.conv2d %v19, %v20 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "layer1.0.conv2", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<?x4x8x8xf32>
      %v22 = res.weight @layer1.0.bn2.weight : tensor<4xf32>
      %v23 = res.weight @layer1.0.bn2.bias : tensor<4xf32>
      %v24 = res.weight @layer1.0.bn2.running_mean : tensor<4xf32>
      %v25 = res.weight @layer1.0.bn2.running_var : tensor<4xf32>
      %v26 = res.batch_norm %v21, %v22, %v23, %v24, %v25 {epsilon = 1.000000e-05 : f64, layer = "layer1.0.bn2", momentum = 1.000000e-01 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
      res.yield %v26 : tensor<?x4x8x8xf32>
    }
    %v27 = res.residual %v10 after relu {layer = "layer2.0"} : tensor<?x4x8x8xf32> -> tensor<?x8x4x4xf32> branch {
      ^bb0(%v28: tensor<?x4x8x8xf32>):
      %v29 = res.weight @layer2.0.conv1.weight : tensor<8x4x3x3xf32>
      %v30 = res.conv2d %v28, %v29 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "layer2.0.conv1", padding = array<i64: 1, 1>, stride = array<i64: 2, 2>} : (tensor<?x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<?x8x4x4xf32>
      %v31 = res.weight @layer2.0.bn1.weight : tensor<8xf32>
      %v32 = res.weight @layer2.0.bn1.bias : tensor<8xf32>
      %v33 = res.weight @layer2.0.bn1.running_mean : tensor<8xf32>
      %v34 = res.weight @layer2.0.bn1.running_var : tensor<8xf32>
      %v35 = res.batch_norm %v30, %v31, %v32, %v33, %v34 {epsilon = 1.000000e-05 : f64, layer = "layer2.0.bn1", momentum = 1.000000e-01 : f64} : (tensor<?x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8x4x4xf32>
      %v36 = res.activation relu %v35 : tensor<?x8x4x4xf32>
      %v37 = res.weight @layer2.0.conv2.weight : tensor<8x8x3x3xf32>
      %v38 = res.conv2d %v36, %v37 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "layer2.0.conv2", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x8x4x4xf32>, tensor<8x8x3x3xf32>) -> tensor<?x8x4x4xf32>
      %v39 = res.weight @layer2.0.bn2.weight : tensor<8xf32>
      %v40 = res.weight @layer2.0.bn2.bias : tensor<8xf32>
      %v41 = res.weight @layer2.0.bn2.running_mean : tensor<8xf32>
      %v42 = res.weight @layer2.0.bn2.running_var : tensor<8xf32>
      %v43 = res.batch_norm %v38, %v39, %v40, %v41, %v42 {epsilon = 1.000000e-05 : f64, layer = "layer2.0.bn2", momentum = 1.000000e-01 : f64} : (tensor<?x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8x4x4xf32>
      res.yield %v43 : tensor<?x8x4x4xf32>
    } shortcut {
      ^bb0(%v44: tensor<?x4x8x8xf32>):
      %v45 = res.weight @layer2.0.downsample.0.weight : tensor<8x4x1x1xf32>
      %v46 = res.conv2d %v44, %v45 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "layer2.0.downsample.0", padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x4x8x8xf32>, tensor<8x4x1x1xf32>) -> tensor<?x8x4x4xf32>
      %v47 = res.weight @layer2.0.downsample.1.weight : tensor<8xf32>
      %v48 = res.weight @layer2.0.downsample.1.bias : tensor<8xf32>
      %v49 = res.weight @layer2.0.downsample.1.running_mean : tensor<8xf32>
      %v50 = res.weight @layer2.0.downsample.1.running_var : tensor<8xf32>
      %v51 = res.batch_norm %v46, %v47, %v48, %v49, %v50 {epsilon = 1.000000e-05 : f64, layer = "layer2.0.downsample.1", momentum = 1.000000e-01 : f64} : (tensor<?x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8x4x4xf32>
      res.yield %v51 : tensor<?x8x4x4xf32>
    }
    %v52 = res.repeat %v27 {count = 3 : i64, layer = "ode"} : tensor<?x8x4x4xf32> body {
      ^bb0(%v53: tensor<?x8x4x4xf32>):
      %v54 = res.residual %v53 {branch_scale = 1.000000e-01 : f64, layer = "ode"} : tensor<?x8x4x4xf32> -> tensor<?x8x4x4xf32> branch {
        ^bb0(%v55: tensor<?x8x4x4xf32>):
        %v56 = res.weight @ode.conv.weight : tensor<8x8x3x3xf32>
        %v57 = res.weight @ode.conv.bias : tensor<8xf32>
        %v58 = res.conv2d %v55, %v56, %v57 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "ode.conv", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x8x4x4xf32>, tensor<8x8x3x3xf32>, tensor<8xf32>) -> tensor<?x8x4x4xf32>
        %v59 = res.activation tanh %v58 : tensor<?x8x4x4xf32>
        res.yield %v59 : tensor<?x8x4x4xf32>
      }
      res.yield %v54 : tensor<?x8x4x4xf32>
    }
    %v60 = res.global_avg_pool %v52 : (tensor<?x8x4x4xf32>) -> tensor<?x8xf32>
    %v61 = res.weight @fc.weight : tensor<10x8xf32>
    %v62 = res.weight @fc.bias : tensor<10xf32>
    %v63 = res.dense %v60, %v61, %v62 {layer = "fc"} : (tensor<?x8xf32>, tensor<10x8xf32>, tensor<10xf32>) -> tensor<?x10xf32>
    return %v63 : tensor<?x10xf32>
  }
}
