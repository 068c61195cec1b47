// Above the threshold: 10 * 0.02 = 0.2.
// CHECK-LABEL: func.func @large
// CHECK: res.residual
res.param @b.fc.weight : tensor<2x2xf32> = dense<[[0.01, 0.0], [0.0, 0.02]]> : tensor<2x2xf32>
func.func @large(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  // expected-remark@+1 {{block 'b' kept: branch gain bound 0.2 is above the threshold 0.05}}
  %y = res.residual %x {layer = "b", branch_scale = 10.0 : f64} : tensor<?x2xf32> -> tensor<?x2xf32> branch {
  ^bb0(%a: tensor<?x2xf32>):
    %w = res.weight @b.fc.weight : tensor<2x2xf32>
    %d = res.dense %a, %w {layer = "b.fc"} : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
    res.yield %d : tensor<?x2xf32>
  }
  return %y : tensor<?x2xf32>
}
