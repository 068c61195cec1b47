// Parameters supplied at run time prove nothing.
// CHECK-LABEL: func.func @unbound
// CHECK: res.residual
res.param @b.fc.weight : tensor<4x4xf32>
func.func @unbound(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = res.residual %x {layer = "b"} : tensor<?x4xf32> -> tensor<?x4xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    %w = res.weight @b.fc.weight : tensor<4x4xf32>
    %d = res.dense %a, %w {layer = "b.fc"} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
    res.yield %d : tensor<?x4xf32>
  }
  return %y : tensor<?x4xf32>
}
