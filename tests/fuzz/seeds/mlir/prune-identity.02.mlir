// A projection shortcut is kept and inlined, then the post-activation.
// CHECK-LABEL: func.func @projection
// CHECK-NEXT: %[[W:.*]] = res.weight @b.proj.weight
// CHECK-NEXT: %[[P:.*]] = res.dense %arg0, %[[W]] {layer = "b.proj"}
// CHECK-NEXT: %[[R:.*]] = res.activation relu %[[P]] {layer = "b.after"}
// CHECK-NEXT: return %[[R]]
res.param @b.fc.weight : tensor<2x4xf32> = dense<1.0> : tensor<2x4xf32>
res.param @b.proj.weight : tensor<2x4xf32> = dense<1.0> : tensor<2x4xf32>
func.func @projection(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  // expected-remark@+1 {{pruned block 'b': branch_scale is 0; bound 0}}
  %y = res.residual %x after relu {layer = "b", branch_scale = 0.0 : f64} : tensor<?x4xf32> -> tensor<?x2xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    %w = res.weight @b.fc.weight : tensor<2x4xf32>
    %d = res.dense %a, %w {layer = "b.fc"} : (tensor<?x4xf32>, tensor<2x4xf32>) -> tensor<?x2xf32>
    res.yield %d : tensor<?x2xf32>
  } shortcut {
  ^bb0(%a: tensor<?x4xf32>):
    %w = res.weight @b.proj.weight : tensor<2x4xf32>
    %p = res.dense %a, %w {layer = "b.proj"} : (tensor<?x4xf32>, tensor<2x4xf32>) -> tensor<?x2xf32>
    res.yield %p : tensor<?x2xf32>
  }
  return %y : tensor<?x2xf32>
}
