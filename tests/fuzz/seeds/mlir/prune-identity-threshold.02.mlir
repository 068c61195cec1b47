// A bias makes F(0) != 0, so a small gain does not make F(x) small.
// CHECK-LABEL: func.func @offset
// CHECK: res.residual
res.param @b.fc.weight : tensor<2x2xf32> = dense<[[0.01, 0.0], [0.0, 0.02]]> : tensor<2x2xf32>
res.param @b.fc.bias : tensor<2xf32> = dense<1.0> : tensor<2xf32>
func.func @offset(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  // expected-remark@+1 {{block 'b' kept: branch gain bound 0.02 is within the threshold, but 'b.fc' does not map 0 to 0, so the bound does not bound its output}}
  %y = res.residual %x {layer = "b"} : tensor<?x2xf32> -> tensor<?x2xf32> branch {
  ^bb0(%a: tensor<?x2xf32>):
    %w = res.weight @b.fc.weight : tensor<2x2xf32>
    %b = res.weight @b.fc.bias : tensor<2xf32>
    %d = res.dense %a, %w, %b {layer = "b.fc"} : (tensor<?x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
    res.yield %d : tensor<?x2xf32>
  }
  return %y : tensor<?x2xf32>
}
