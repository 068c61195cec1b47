// Scales need an op the dialect lacks: the block stays, with a remark.
// Tied repeats stay loops unless unroll-repeats is set.
// CHECK-LABEL: func.func @scaled_in_repeat
// CHECK: res.repeat
// CHECK: res.residual
// UNROLL-LABEL: func.func @scaled_in_repeat
// UNROLL-NOT: res.repeat
// UNROLL: %[[A:.*]] = res.residual %arg0
// UNROLL: %[[B:.*]] = res.residual %[[A]]
// UNROLL: %[[C:.*]] = res.residual %[[B]]
// UNROLL: return %[[C]]
func.func @scaled_in_repeat(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = res.repeat %x {count = 3 : i64, layer = "ode"} : tensor<?x4xf32> body {
  ^bb0(%a: tensor<?x4xf32>):
    // expected-remark@+1 {{block 'ode' kept: branch_scale 0.1 and output_scale 1 would need res.scale ops, which this pass does not create}}
    %r = res.residual %a {layer = "ode", branch_scale = 0.1 : f64} : tensor<?x4xf32> -> tensor<?x4xf32> branch {
    ^bb0(%b: tensor<?x4xf32>):
      %t = res.activation tanh %b : tensor<?x4xf32>
      res.yield %t : tensor<?x4xf32>
    }
    res.yield %r : tensor<?x4xf32>
  }
  return %y : tensor<?x4xf32>
}
