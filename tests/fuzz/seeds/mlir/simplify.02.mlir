// branch_scale 0 with output_scale 1 is the shortcut (then the
// post-activation); with another output scale the block stays.
// CHECK-LABEL: func.func @zero_branch_scale
// CHECK-NEXT: %[[A:.*]] = res.activation tanh %arg0 {layer = "a.after"}
// CHECK-NEXT: %[[B:.*]] = res.residual %[[A]]
// CHECK-SAME: branch_scale = 0.0
// CHECK-SAME: output_scale = 5.0
// CHECK: return %[[B]]
func.func @zero_branch_scale(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = res.residual %x after tanh {layer = "a", branch_scale = 0.0 : f64} : tensor<?x4xf32> -> tensor<?x4xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    %r = res.activation relu %a : tensor<?x4xf32>
    res.yield %r : tensor<?x4xf32>
  }
  %z = res.residual %y {layer = "b", branch_scale = 0.0 : f64, output_scale = 0.5 : f64} : tensor<?x4xf32> -> tensor<?x4xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    res.yield %a : tensor<?x4xf32>
  }
  return %z : tensor<?x4xf32>
}
