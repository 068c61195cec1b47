// torchvision's ResNet-18 in the res dialect (written by make_inputs.py), so
// 'resc info' totals are tested without the frontend.
module {
  res.param @conv1.weight : tensor<64x3x7x7xf32>
  res.param @bn1.weight : tensor<64xf32>
  res.param @bn1.bias : tensor<64xf32>
  res.param @bn1.running_mean : tensor<64xf32> {buffer}
  res.param @bn1.running_var : tensor<64xf32> {buffer}
  res.param @layer1.0.conv1.weight : tensor<64x64x3x3xf32>
  res.param @layer1.0.bn1.weight : tensor<64xf32>
  res.param @layer1.0.bn1.bias : tensor<64xf32>
  res.param @layer1.0.bn1.running_mean : tensor<64xf32> {buffer}
  res.param @layer1.0.bn1.running_var : tensor<64xf32> {buffer}
  res.param @layer1.0.conv2.weight : tensor<64x64x3x3xf32>
  res.param @layer1.0.bn2.weight : tensor<64xf32>
  res.param @layer1.0.bn2.bias : tensor<64xf32>
  res.param @layer1.0.bn2.running_mean : tensor<64xf32> {buffer}
  res.param @layer1.0.bn2.running_var : tensor<64xf32> {buffer}
  res.param @layer1.1.conv1.weight : tensor<64x64x3x3xf32>
  res.param @layer1.1.bn1.weight : tensor<64xf32>
  res.param @layer1.1.bn1.bias : tensor<64xf32>
  res.param @layer1.1.bn1.running_mean : tensor<64xf32> {buffer}
  res.param @layer1.1.bn1.running_var : tensor<64xf32> {buffer}
  res.param @layer1.1.conv2.weight : tensor<64x64x3x3xf32>
  res.param @layer1.1.bn2.weight : tensor<64xf32>
  res.param @layer1.1.bn2.bias : tensor<64xf32>
  res.param @layer1.1.bn2.running_mean : tensor<64xf32> {buffer}
  res.param @layer1.1.bn2.running_var : tensor<64xf32> {buffer}
  res.param @layer2.0.conv1.weight : tensor<128x64x3x3xf32>
  res.param @layer2.0.bn1.weight : tensor<128xf32>
  res.param @layer2.0.bn1.bias : tensor<128xf32>
  res.param @layer2.0.bn1.running_mean : tensor<128xf32> {buffer}
  res.param @layer2.0.bn1.running_var : tensor<128xf32> {buffer}
  res.param @layer2.0.conv2.weight : tensor<128x128x3x3xf32>
  res.param @layer2.0.bn2.weight : tensor<128xf32>
  res.param @layer2.0.bn2.bias : tensor<128xf32>
  res.param @layer2.0.bn2.running_mean : tensor<128xf32> {buffer}
  res.param @layer2.0.bn2.running_var : tensor<128xf32> {buffer}
  res.param @layer2.0.downsample.0.weight : tensor<128x64x1x1xf32>
  res.param @layer2.0.downsample.1.weight : tensor<128xf32>
  res.param @layer2.0.downsample.1.bias : tensor<128xf32>
  res.param @layer2.0.downsample.1.running_mean : tensor<128xf32> {buffer}
  res.param @layer2.0.downsample.1.running_var : tensor<128xf32> {buffer}
  res.param @layer2.1.conv1.weight : tensor<128x128x3x3xf32>
  res.param @layer2.1.bn1.weight : tensor<128xf32>
  res.param @layer2.1.bn1.bias : tensor<128xf32>
  res.param @layer2.1.bn1.running_mean : tensor<128xf32> {buffer}
  res.param @layer2.1.bn1.running_var : tensor<128xf32> {buffer}
  res.param @layer2.1.conv2.weight : tensor<128x128x3x3xf32>
  res.param @layer2.1.bn2.weight : tensor<128xf32>
  res.param @layer2.1.bn2.bias : tensor<128xf32>
  res.param @layer2.1.bn2.running_mean : tensor<128xf32> {buffer}
  res.param @layer2.1.bn2.running_var : tensor<128xf32> {buffer}
  res.param @layer3.0.conv1.weight : tensor<256x128x3x3xf32>
  res.param @layer3.0.bn1.weight : tensor<256xf32>
  res.param @layer3.0.bn1.bias : tensor<256xf32>
  res.param @layer3.0.bn1.running_mean : tensor<256xf32> {buffer}
  res.param @layer3.0.bn1.running_var : tensor<256xf32> {buffer}
  res.param @layer3.0.conv2.weight : tensor<256x256x3x3xf32>
  res.param @layer3.0.bn2.weight : tensor<256xf32>
  res.param @layer3.0.bn2.bias : tensor<256xf32>
  res.param @layer3.0.bn2.running_mean : tensor<256xf32> {buffer}
  res.param @layer3.0.bn2.running_var : tensor<256xf32> {buffer}
  res.param @layer3.0.downsample.0.weight : tensor<256x128x1x1xf32>
  res.param @layer3.0.downsample.1.weight : tensor<256xf32>
  res.param @layer3.0.downsample.1.bias : tensor<256xf32>
  res.param @layer3.0.downsample.1.running_mean : tensor<256xf32> {buffer}
  res.param @layer3.0.downsample.1.running_var : tensor<256xf32> {buffer}
  res.param @layer3.1.conv1.weight : tensor<256x256x3x3xf32>
  res.param @layer3.1.bn1.weight : tensor<256xf32>
  res.param @layer3.1.bn1.bias : tensor<256xf32>
  res.param @layer3.1.bn1.running_mean : tensor<256xf32> {buffer}
  res.param @layer3.1.bn1.running_var : tensor<256xf32> {buffer}
  res.param @layer3.1.conv2.weight : tensor<256x256x3x3xf32>
  res.param @layer3.1.bn2.weight : tensor<256xf32>
  res.param @layer3.1.bn2.bias : tensor<256xf32>
  res.param @layer3.1.bn2.running_mean : tensor<256xf32> {buffer}
  res.param @layer3.1.bn2.running_var : tensor<256xf32> {buffer}
  res.param @layer4.0.conv1.weight : tensor<512x256x3x3xf32>
  res.param @layer4.0.bn1.weight : tensor<512xf32>
  res.param @layer4.0.bn1.bias : tensor<512xf32>
  res.param @layer4.0.bn1.running_mean : tensor<512xf32> {buffer}
  res.param @layer4.0.bn1.running_var : tensor<512xf32> {buffer}
  res.param @layer4.0.conv2.weight : tensor<512x512x3x3xf32>
  res.param @layer4.0.bn2.weight : tensor<512xf32>
  res.param @layer4.0.bn2.bias : tensor<512xf32>
  res.param @layer4.0.bn2.running_mean : tensor<512xf32> {buffer}
  res.param @layer4.0.bn2.running_var : tensor<512xf32> {buffer}
  res.param @layer4.0.downsample.0.weight : tensor<512x256x1x1xf32>
  res.param @layer4.0.downsample.1.weight : tensor<512xf32>
  res.param @layer4.0.downsample.1.bias : tensor<512xf32>
  res.param @layer4.0.downsample.1.running_mean : tensor<512xf32> {buffer}
  res.param @layer4.0.downsample.1.running_var : tensor<512xf32> {buffer}
  res.param @layer4.1.conv1.weight : tensor<512x512x3x3xf32>
  res.param @layer4.1.bn1.weight : tensor<512xf32>
  res.param @layer4.1.bn1.bias : tensor<512xf32>
  res.param @layer4.1.bn1.running_mean : tensor<512xf32> {buffer}
  res.param @layer4.1.bn1.running_var : tensor<512xf32> {buffer}
  res.param @layer4.1.conv2.weight : tensor<512x512x3x3xf32>
  res.param @layer4.1.bn2.weight : tensor<512xf32>
  res.param @layer4.1.bn2.bias : tensor<512xf32>
  res.param @layer4.1.bn2.running_mean : tensor<512xf32> {buffer}
  res.param @layer4.1.bn2.running_var : tensor<512xf32> {buffer}
  res.param @fc.weight : tensor<1000x512xf32>
  res.param @fc.bias : tensor<1000xf32>
  func.func @resnet18(%x: tensor<?x3x224x224xf32> {res.name = "image"}) -> (tensor<?x1000xf32> {res.name = "logits"}) {
    %v1 = res.weight @conv1.weight : tensor<64x3x7x7xf32>
    %v2 = res.conv2d %x, %v1 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "conv1", padding = array<i64: 3, 3>, stride = array<i64: 2, 2>} : (tensor<?x3x224x224xf32>, tensor<64x3x7x7xf32>) -> tensor<?x64x112x112xf32>
    %v3 = res.weight @bn1.weight : tensor<64xf32>
    %v4 = res.weight @bn1.bias : tensor<64xf32>
    %v5 = res.weight @bn1.running_mean : tensor<64xf32>
    %v6 = res.weight @bn1.running_var : tensor<64xf32>
    %v7 = res.batch_norm %v2, %v3, %v4, %v5, %v6 {epsilon = 1.000000e-05 : f64, layer = "bn1", momentum = 1.000000e-01 : f64} : (tensor<?x64x112x112xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x64x112x112xf32>
    %v8 = res.activation relu %v7 : tensor<?x64x112x112xf32>
    %v9 = res.max_pool2d %v8 {kernel = array<i64: 3, 3>, padding = array<i64: 1, 1>, stride = array<i64: 2, 2>} : (tensor<?x64x112x112xf32>) -> tensor<?x64x56x56xf32>
    %v10 = res.residual %v9 after relu {layer = "layer1.0"} : tensor<?x64x56x56xf32> -> tensor<?x64x56x56xf32> branch {
      ^bb0(%v11: tensor<?x64x56x56xf32>):
      %v12 = res.weight @layer1.0.conv1.weight : tensor<64x64x3x3xf32>
      %v13 = res.conv2d %v11, %v12 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "layer1.0.conv1", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x64x56x56xf32>, tensor<64x64x3x3xf32>) -> tensor<?x64x56x56xf32>
      %v14 = res.weight @layer1.0.bn1.weight : tensor<64xf32>
      %v15 = res.weight @layer1.0.bn1.bias : tensor<64xf32>
      %v16 = res.weight @layer1.0.bn1.running_mean : tensor<64xf32>
      %v17 = res.weight @layer1.0.bn1.running_var : tensor<64xf32>
      %v18 = res.batch_norm %v13, %v14, %v15, %v16, %v17 {epsilon = 1.000000e-05 : f64, layer = "layer1.0.bn1", momentum = 1.000000e-01 : f64} : (tensor<?x64x56x56xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x64x56x56xf32>
      %v19 = res.activation relu %v18 : tensor<?x64x56x56xf32>
      %v20 = res.weight @layer1.0.conv2.weight : tensor<64x64x3x3xf32>
      %v21 = res.conv2d %v19, %v20 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "layer1.0.conv2", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x64x56x56xf32>, tensor<64x64x3x3xf32>) -> tensor<?x64x56x56xf32>
      %v22 = res.weight @layer1.0.bn2.weight : tensor<64xf32>
      %v23 = res.weight @layer1.0.bn2.bias : tensor<64xf32>
      %v24 = res.weight @layer1.0.bn2.running_mean : tensor<64xf32>
      %v25 = res.weight @layer1.0.bn2.running_var : tensor<64xf32>
      %v26 = res.batch_norm %v21, %v22, %v23, %v24, %v25 {epsilon = 1.000000e-05 : f64, layer = "layer1.0.bn2", momentum = 1.000000e-01 : f64} : (tensor<?x64x56x56xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x64x56x56xf32>
      res.yield %v26 : tensor<?x64x56x56xf32>
    }
    %v27 = res.residual %v10 after relu {layer = "layer1.1"} : tensor<?x64x56x56xf32> -> tensor<?x64x56x56xf32> branch {
      ^bb0(%v28: tensor<?x64x56x56xf32>):
      %v29 = res.weight @layer1.1.conv1.weight : tensor<64x64x3x3xf32>
      %v30 = res.conv2d %v28, %v29 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "layer1.1.conv1", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x64x56x56xf32>, tensor<64x64x3x3xf32>) -> tensor<?x64x56x56xf32>
      %v31 = res.weight @layer1.1.bn1.weight : tensor<64xf32>
      %v32 = res.weight @layer1.1.bn1.bias : tensor<64xf32>
      %v33 = res.weight @layer1.1.bn1.running_mean : tensor<64xf32>
      %v34 = res.weight @layer1.1.bn1.running_var : tensor<64xf32>
      %v35 = res.batch_norm %v30, %v31, %v32, %v33, %v34 {epsilon = 1.000000e-05 : f64, layer = "layer1.1.bn1", momentum = 1.000000e-01 : f64} : (tensor<?x64x56x56xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x64x56x56xf32>
      %v36 = res.activation relu %v35 : tensor<?x64x56x56xf32>
      %v37 = res.weight @layer1.1.conv2.weight : tensor<64x64x3x3xf32>
      %v38 = res.conv2d %v36, %v37 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "layer1.1.conv2", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x64x56x56xf32>, tensor<64x64x3x3xf32>) -> tensor<?x64x56x56xf32>
      %v39 = res.weight @layer1.1.bn2.weight : tensor<64xf32>
      %v40 = res.weight @layer1.1.bn2.bias : tensor<64xf32>
      %v41 = res.weight @layer1.1.bn2.running_mean : tensor<64xf32>
      %v42 = res.weight @layer1.1.bn2.running_var : tensor<64xf32>
      %v43 = res.batch_norm %v38, %v39, %v40, %v41, %v42 {epsilon = 1.000000e-05 : f64, layer = "layer1.1.bn2", momentum = 1.000000e-01 : f64} : (tensor<?x64x56x56xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x64x56x56xf32>
      res.yield %v43 : tensor<?x64x56x56xf32>
    }
    %v44 = res.residual %v27 after relu {layer = "layer2.0"} : tensor<?x64x56x56xf32> -> tensor<?x128x28x28xf32> branch {
      ^bb0(%v45: tensor<?x64x56x56xf32>):
      %v46 = res.weight @layer2.0.conv1.weight : tensor<128x64x3x3xf32>
      %v47 = res.conv2d %v45, %v46 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "layer2.0.conv1", padding = array<i64: 1, 1>, stride = array<i64: 2, 2>} : (tensor<?x64x56x56xf32>, tensor<128x64x3x3xf32>) -> tensor<?x128x28x28xf32>
      %v48 = res.weight @layer2.0.bn1.weight : tensor<128xf32>
      %v49 = res.weight @layer2.0.bn1.bias : tensor<128xf32>
      %v50 = res.weight @layer2.0.bn1.running_mean : tensor<128xf32>
      %v51 = res.weight @layer2.0.bn1.running_var : tensor<128xf32>
      %v52 = res.batch_norm %v47, %v48, %v49, %v50, %v51 {epsilon = 1.000000e-05 : f64, layer = "layer2.0.bn1", momentum = 1.000000e-01 : f64} : (tensor<?x128x28x28xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128xf32>) -> tensor<?x128x28x28xf32>
      %v53 = res.activation relu %v52 : tensor<?x128x28x28xf32>
      %v54 = res.weight @layer2.0.conv2.weight : tensor<128x128x3x3xf32>
      %v55 = res.conv2d %v53, %v54 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "layer2.0.conv2", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x128x28x28xf32>, tensor<128x128x3x3xf32>) -> tensor<?x128x28x28xf32>
      %v56 = res.weight @layer2.0.bn2.weight : tensor<128xf32>
      %v57 = res.weight @layer2.0.bn2.bias : tensor<128xf32>
      %v58 = res.weight @layer2.0.bn2.running_mean : tensor<128xf32>
      %v59 = res.weight @layer2.0.bn2.running_var : tensor<128xf32>
      %v60 = res.batch_norm %v55, %v56, %v57, %v58, %v59 {epsilon = 1.000000e-05 : f64, layer = "layer2.0.bn2", momentum = 1.000000e-01 : f64} : (tensor<?x128x28x28xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128xf32>) -> tensor<?x128x28x28xf32>
      res.yield %v60 : tensor<?x128x28x28xf32>
    } shortcut {
      ^bb0(%v61: tensor<?x64x56x56xf32>):
      %v62 = res.weight @layer2.0.downsample.0.weight : tensor<128x64x1x1xf32>
      %v63 = res.conv2d %v61, %v62 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "layer2.0.downsample.0", padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x64x56x56xf32>, tensor<128x64x1x1xf32>) -> tensor<?x128x28x28xf32>
      %v64 = res.weight @layer2.0.downsample.1.weight : tensor<128xf32>
      %v65 = res.weight @layer2.0.downsample.1.bias : tensor<128xf32>
      %v66 = res.weight @layer2.0.downsample.1.running_mean : tensor<128xf32>
      %v67 = res.weight @layer2.0.downsample.1.running_var : tensor<128xf32>
      %v68 = res.batch_norm %v63, %v64, %v65, %v66, %v67 {epsilon = 1.000000e-05 : f64, layer = "layer2.0.downsample.1", momentum = 1.000000e-01 : f64} : (tensor<?x128x28x28xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128xf32>) -> tensor<?x128x28x28xf32>
      res.yield %v68 : tensor<?x128x28x28xf32>
    }
    %v69 = res.residual %v44 after relu {layer = "layer2.1"} : tensor<?x128x28x28xf32> -> tensor<?x128x28x28xf32> branch {
      ^bb0(%v70: tensor<?x128x28x28xf32>):
      %v71 = res.weight @layer2.1.conv1.weight : tensor<128x128x3x3xf32>
      %v72 = res.conv2d %v70, %v71 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "layer2.1.conv1", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x128x28x28xf32>, tensor<128x128x3x3xf32>) -> tensor<?x128x28x28xf32>
      %v73 = res.weight @layer2.1.bn1.weight : tensor<128xf32>
      %v74 = res.weight @layer2.1.bn1.bias : tensor<128xf32>
      %v75 = res.weight @layer2.1.bn1.running_mean : tensor<128xf32>
      %v76 = res.weight @layer2.1.bn1.running_var : tensor<128xf32>
      %v77 = res.batch_norm %v72, %v73, %v74, %v75, %v76 {epsilon = 1.000000e-05 : f64, layer = "layer2.1.bn1", momentum = 1.000000e-01 : f64} : (tensor<?x128x28x28xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128xf32>) -> tensor<?x128x28x28xf32>
      %v78 = res.activation relu %v77 : tensor<?x128x28x28xf32>
      %v79 = res.weight @layer2.1.conv2.weight : tensor<128x128x3x3xf32>
      %v80 = res.conv2d %v78, %v79 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "layer2.1.conv2", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x128x28x28xf32>, tensor<128x128x3x3xf32>) -> tensor<?x128x28x28xf32>
      %v81 = res.weight @layer2.1.bn2.weight : tensor<128xf32>
      %v82 = res.weight @layer2.1.bn2.bias : tensor<128xf32>
      %v83 = res.weight @layer2.1.bn2.running_mean : tensor<128xf32>
      %v84 = res.weight @layer2.1.bn2.running_var : tensor<128xf32>
      %v85 = res.batch_norm %v80, %v81, %v82, %v83, %v84 {epsilon = 1.000000e-05 : f64, layer = "layer2.1.bn2", momentum = 1.000000e-01 : f64} : (tensor<?x128x28x28xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128xf32>) -> tensor<?x128x28x28xf32>
      res.yield %v85 : tensor<?x128x28x28xf32>
    }
    %v86 = res.residual %v69 after relu {layer = "layer3.0"} : tensor<?x128x28x28xf32> -> tensor<?x256x14x14xf32> branch {
      ^bb0(%v87: tensor<?x128x28x28xf32>):
      %v88 = res.weight @layer3.0.conv1.weight : tensor<256x128x3x3xf32>
      %v89 = res.conv2d %v87, %v88 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "layer3.0.conv1", padding = array<i64: 1, 1>, stride = array<i64: 2, 2>} : (tensor<?x128x28x28xf32>, tensor<256x128x3x3xf32>) -> tensor<?x256x14x14xf32>
      %v90 = res.weight @layer3.0.bn1.weight : tensor<256xf32>
      %v91 = res.weight @layer3.0.bn1.bias : tensor<256xf32>
      %v92 = res.weight @layer3.0.bn1.running_mean : tensor<256xf32>
      %v93 = res.weight @layer3.0.bn1.running_var : tensor<256xf32>
      %v94 = res.batch_norm %v89, %v90, %v91, %v92, %v93 {epsilon = 1.000000e-05 : f64, layer = "layer3.0.bn1", momentum = 1.000000e-01 : f64} : (tensor<?x256x14x14xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) -> tensor<?x256x14x14xf32>
      %v95 = res.activation relu %v94 : tensor<?x256x14x14xf32>
      %v96 = res.weight @layer3.0.conv2.weight : tensor<256x256x3x3xf32>
      %v97 = res.conv2d %v95, %v96 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "layer3.0.conv2", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x256x14x14xf32>, tensor<256x256x3x3xf32>) -> tensor<?x256x14x14xf32>
      %v98 = res.weight @layer3.0.bn2.weight : tensor<256xf32>
      %v99 = res.weight @layer3.0.bn2.bias : tensor<256xf32>
      %v100 = res.weight @layer3.0.bn2.running_mean : tensor<256xf32>
      %v101 = res.weight @layer3.0.bn2.running_var : tensor<256xf32>
      %v102 = res.batch_norm %v97, %v98, %v99, %v100, %v101 {epsilon = 1.000000e-05 : f64, layer = "layer3.0.bn2", momentum = 1.000000e-01 : f64} : (tensor<?x256x14x14xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) -> tensor<?x256x14x14xf32>
      res.yield %v102 : tensor<?x256x14x14xf32>
    } shortcut {
      ^bb0(%v103: tensor<?x128x28x28xf32>):
      %v104 = res.weight @layer3.0.downsample.0.weight : tensor<256x128x1x1xf32>
      %v105 = res.conv2d %v103, %v104 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "layer3.0.downsample.0", padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x128x28x28xf32>, tensor<256x128x1x1xf32>) -> tensor<?x256x14x14xf32>
      %v106 = res.weight @layer3.0.downsample.1.weight : tensor<256xf32>
      %v107 = res.weight @layer3.0.downsample.1.bias : tensor<256xf32>
      %v108 = res.weight @layer3.0.downsample.1.running_mean : tensor<256xf32>
      %v109 = res.weight @layer3.0.downsample.1.running_var : tensor<256xf32>
      %v110 = res.batch_norm %v105, %v106, %v107, %v108, %v109 {epsilon = 1.000000e-05 : f64, layer = "layer3.0.downsample.1", momentum = 1.000000e-01 : f64} : (tensor<?x256x14x14xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) -> tensor<?x256x14x14xf32>
      res.yield %v110 : tensor<?x256x14x14xf32>
    }
    %v111 = res.residual %v86 after relu {layer = "layer3.1"} : tensor<?x256x14x14xf32> -> tensor<?x256x14x14xf32> branch {
      ^bb0(%v112: tensor<?x256x14x14xf32>):
      %v113 = res.weight @layer3.1.conv1.weight : tensor<256x256x3x3xf32>
      %v114 = res.conv2d %v112, %v113 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "layer3.1.conv1", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x256x14x14xf32>, tensor<256x256x3x3xf32>) -> tensor<?x256x14x14xf32>
      %v115 = res.weight @layer3.1.bn1.weight : tensor<256xf32>
      %v116 = res.weight @layer3.1.bn1.bias : tensor<256xf32>
      %v117 = res.weight @layer3.1.bn1.running_mean : tensor<256xf32>
      %v118 = res.weight @layer3.1.bn1.running_var : tensor<256xf32>
      %v119 = res.batch_norm %v114, %v115, %v116, %v117, %v118 {epsilon = 1.000000e-05 : f64, layer = "layer3.1.bn1", momentum = 1.000000e-01 : f64} : (tensor<?x256x14x14xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) -> tensor<?x256x14x14xf32>
      %v120 = res.activation relu %v119 : tensor<?x256x14x14xf32>
      %v121 = res.weight @layer3.1.conv2.weight : tensor<256x256x3x3xf32>
      %v122 = res.conv2d %v120, %v121 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "layer3.1.conv2", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x256x14x14xf32>, tensor<256x256x3x3xf32>) -> tensor<?x256x14x14xf32>
      %v123 = res.weight @layer3.1.bn2.weight : tensor<256xf32>
      %v124 = res.weight @layer3.1.bn2.bias : tensor<256xf32>
      %v125 = res.weight @layer3.1.bn2.running_mean : tensor<256xf32>
      %v126 = res.weight @layer3.1.bn2.running_var : tensor<256xf32>
      %v127 = res.batch_norm %v122, %v123, %v124, %v125, %v126 {epsilon = 1.000000e-05 : f64, layer = "layer3.1.bn2", momentum = 1.000000e-01 : f64} : (tensor<?x256x14x14xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256xf32>) -> tensor<?x256x14x14xf32>
      res.yield %v127 : tensor<?x256x14x14xf32>
    }
    %v128 = res.residual %v111 after relu {layer = "layer4.0"} : tensor<?x256x14x14xf32> -> tensor<?x512x7x7xf32> branch {
      ^bb0(%v129: tensor<?x256x14x14xf32>):
      %v130 = res.weight @layer4.0.conv1.weight : tensor<512x256x3x3xf32>
      %v131 = res.conv2d %v129, %v130 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "layer4.0.conv1", padding = array<i64: 1, 1>, stride = array<i64: 2, 2>} : (tensor<?x256x14x14xf32>, tensor<512x256x3x3xf32>) -> tensor<?x512x7x7xf32>
      %v132 = res.weight @layer4.0.bn1.weight : tensor<512xf32>
      %v133 = res.weight @layer4.0.bn1.bias : tensor<512xf32>
      %v134 = res.weight @layer4.0.bn1.running_mean : tensor<512xf32>
      %v135 = res.weight @layer4.0.bn1.running_var : tensor<512xf32>
      %v136 = res.batch_norm %v131, %v132, %v133, %v134, %v135 {epsilon = 1.000000e-05 : f64, layer = "layer4.0.bn1", momentum = 1.000000e-01 : f64} : (tensor<?x512x7x7xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>) -> tensor<?x512x7x7xf32>
      %v137 = res.activation relu %v136 : tensor<?x512x7x7xf32>
      %v138 = res.weight @layer4.0.conv2.weight : tensor<512x512x3x3xf32>
      %v139 = res.conv2d %v137, %v138 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "layer4.0.conv2", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x512x7x7xf32>, tensor<512x512x3x3xf32>) -> tensor<?x512x7x7xf32>
      %v140 = res.weight @layer4.0.bn2.weight : tensor<512xf32>
      %v141 = res.weight @layer4.0.bn2.bias : tensor<512xf32>
      %v142 = res.weight @layer4.0.bn2.running_mean : tensor<512xf32>
      %v143 = res.weight @layer4.0.bn2.running_var : tensor<512xf32>
      %v144 = res.batch_norm %v139, %v140, %v141, %v142, %v143 {epsilon = 1.000000e-05 : f64, layer = "layer4.0.bn2", momentum = 1.000000e-01 : f64} : (tensor<?x512x7x7xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>) -> tensor<?x512x7x7xf32>
      res.yield %v144 : tensor<?x512x7x7xf32>
    } shortcut {
      ^bb0(%v145: tensor<?x256x14x14xf32>):
      %v146 = res.weight @layer4.0.downsample.0.weight : tensor<512x256x1x1xf32>
      %v147 = res.conv2d %v145, %v146 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "layer4.0.downsample.0", padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x256x14x14xf32>, tensor<512x256x1x1xf32>) -> tensor<?x512x7x7xf32>
      %v148 = res.weight @layer4.0.downsample.1.weight : tensor<512xf32>
      %v149 = res.weight @layer4.0.downsample.1.bias : tensor<512xf32>
      %v150 = res.weight @layer4.0.downsample.1.running_mean : tensor<512xf32>
      %v151 = res.weight @layer4.0.downsample.1.running_var : tensor<512xf32>
      %v152 = res.batch_norm %v147, %v148, %v149, %v150, %v151 {epsilon = 1.000000e-05 : f64, layer = "layer4.0.downsample.1", momentum = 1.000000e-01 : f64} : (tensor<?x512x7x7xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>) -> tensor<?x512x7x7xf32>
      res.yield %v152 : tensor<?x512x7x7xf32>
    }
    %v153 = res.residual %v128 after relu {layer = "layer4.1"} : tensor<?x512x7x7xf32> -> tensor<?x512x7x7xf32> branch {
      ^bb0(%v154: tensor<?x512x7x7xf32>):
      %v155 = res.weight @layer4.1.conv1.weight : tensor<512x512x3x3xf32>
      %v156 = res.conv2d %v154, %v155 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "layer4.1.conv1", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x512x7x7xf32>, tensor<512x512x3x3xf32>) -> tensor<?x512x7x7xf32>
      %v157 = res.weight @layer4.1.bn1.weight : tensor<512xf32>
      %v158 = res.weight @layer4.1.bn1.bias : tensor<512xf32>
      %v159 = res.weight @layer4.1.bn1.running_mean : tensor<512xf32>
      %v160 = res.weight @layer4.1.bn1.running_var : tensor<512xf32>
      %v161 = res.batch_norm %v156, %v157, %v158, %v159, %v160 {epsilon = 1.000000e-05 : f64, layer = "layer4.1.bn1", momentum = 1.000000e-01 : f64} : (tensor<?x512x7x7xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>) -> tensor<?x512x7x7xf32>
      %v162 = res.activation relu %v161 : tensor<?x512x7x7xf32>
      %v163 = res.weight @layer4.1.conv2.weight : tensor<512x512x3x3xf32>
      %v164 = res.conv2d %v162, %v163 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "layer4.1.conv2", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x512x7x7xf32>, tensor<512x512x3x3xf32>) -> tensor<?x512x7x7xf32>
      %v165 = res.weight @layer4.1.bn2.weight : tensor<512xf32>
      %v166 = res.weight @layer4.1.bn2.bias : tensor<512xf32>
      %v167 = res.weight @layer4.1.bn2.running_mean : tensor<512xf32>
      %v168 = res.weight @layer4.1.bn2.running_var : tensor<512xf32>
      %v169 = res.batch_norm %v164, %v165, %v166, %v167, %v168 {epsilon = 1.000000e-05 : f64, layer = "layer4.1.bn2", momentum = 1.000000e-01 : f64} : (tensor<?x512x7x7xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>) -> tensor<?x512x7x7xf32>
      res.yield %v169 : tensor<?x512x7x7xf32>
    }
    %v170 = res.global_avg_pool %v153 : (tensor<?x512x7x7xf32>) -> tensor<?x512xf32>
    %v171 = res.weight @fc.weight : tensor<1000x512xf32>
    %v172 = res.weight @fc.bias : tensor<1000xf32>
    %v173 = res.dense %v170, %v171, %v172 {layer = "fc"} : (tensor<?x512xf32>, tensor<1000x512xf32>, tensor<1000xf32>) -> tensor<?x1000xf32>
    return %v173 : tensor<?x1000xf32>
  }
}
