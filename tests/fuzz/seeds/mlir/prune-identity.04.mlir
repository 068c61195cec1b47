// An output scale other than 1 has no op to live on outside the block.
// CHECK-LABEL: func.func @output_scale
// CHECK: res.residual
res.param @b.fc.weight : tensor<4x4xf32> = dense<0.0> : tensor<4x4xf32>
func.func @output_scale(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-remark@+1 {{block 'b' kept although its branch is negligible ('b.fc' has zero weight and bias): output_scale 0.5 cannot be applied outside a block}}
  %y = res.residual %x {layer = "b", output_scale = 0.5 : f64} : tensor<?x4xf32> -> tensor<?x4xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    %w = res.weight @b.fc.weight : tensor<4x4xf32>
    %d = res.dense %a, %w {layer = "b.fc"} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
    res.yield %d : tensor<?x4xf32>
  }
  return %y : tensor<?x4xf32>
}
