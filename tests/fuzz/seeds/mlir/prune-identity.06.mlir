// A small branch is kept at threshold 0 (prune-identity-threshold.mlir
// prunes it at 0.05), with no remark.
// CHECK-LABEL: func.func @small
// CHECK: res.residual
res.param @b.fc.weight : tensor<2x2xf32> = dense<[[0.01, 0.0], [0.0, 0.02]]> : tensor<2x2xf32>
func.func @small(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %y = res.residual %x {layer = "b"} : tensor<?x2xf32> -> tensor<?x2xf32> branch {
  ^bb0(%a: tensor<?x2xf32>):
    %w = res.weight @b.fc.weight : tensor<2x2xf32>
    %d = res.dense %a, %w {layer = "b.fc"} : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
    res.yield %d : tensor<?x2xf32>
  }
  return %y : tensor<?x2xf32>
}
