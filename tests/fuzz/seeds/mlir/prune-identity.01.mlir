// The input may be negative: the post-activation stays.
// CHECK-LABEL: func.func @keeps_after
// CHECK-NEXT: %[[R:.*]] = res.activation relu %arg0 {layer = "b.after"}
// CHECK-NEXT: return %[[R]]
res.param @b.fc.weight : tensor<4x4xf32> = dense<0.0> : tensor<4x4xf32>
func.func @keeps_after(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-remark@+1 {{pruned block 'b': 'b.fc' has zero weight and bias; bound 0}}
  %y = res.residual %x after relu {layer = "b"} : tensor<?x4xf32> -> tensor<?x4xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    %w = res.weight @b.fc.weight : tensor<4x4xf32>
    %d = res.dense %a, %w {layer = "b.fc"} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
    %r = res.activation relu %d : tensor<?x4xf32>
    res.yield %r : tensor<?x4xf32>
  }
  return %y : tensor<?x4xf32>
}
