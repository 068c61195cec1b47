// res-inline-blocks: residual blocks become plain ops; scaled blocks stay.
// RUN: res-opt %s -split-input-file -res-inline-blocks -verify-diagnostics | FileCheck %s
// RUN: res-opt %s -split-input-file -res-inline-blocks=unroll-repeats=true -verify-diagnostics | FileCheck %s --check-prefix=UNROLL

// after(S(x) + F(x)) with a projection shortcut.
// CHECK-LABEL: func.func @flatten
// CHECK-NEXT: %[[F:.*]] = res.activation tanh %arg0
// CHECK-NEXT: %[[W:.*]] = res.weight @p.weight
// CHECK-NEXT: %[[S:.*]] = res.dense %arg0, %[[W]] {layer = "b.proj"}
// CHECK-NEXT: %[[SUM:.*]] = res.add %[[S]], %[[F]] {layer = "b.add"}
// CHECK-NEXT: %[[Y:.*]] = res.activation relu %[[SUM]] {layer = "b.after"}
// CHECK-NEXT: return %[[Y]]
res.param @p.weight : tensor<4x4xf32>
func.func @flatten(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = res.residual %x after relu {layer = "b"} : tensor<?x4xf32> -> tensor<?x4xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    %t = res.activation tanh %a : tensor<?x4xf32>
    res.yield %t : tensor<?x4xf32>
  } shortcut {
  ^bb0(%a: tensor<?x4xf32>):
    %w = res.weight @p.weight : tensor<4x4xf32>
    %p = res.dense %a, %w {layer = "b.proj"} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
    res.yield %p : tensor<?x4xf32>
  }
  return %y : tensor<?x4xf32>
}

// -----

// Nested blocks flatten inside out; an identity shortcut adds the input.
// CHECK-LABEL: func.func @nested
// CHECK-NEXT: %[[T:.*]] = res.activation tanh %arg0
// CHECK-NEXT: %[[IN:.*]] = res.add %[[T]], %[[T]] {layer = "inner.add"}
// CHECK-NEXT: %[[OUT:.*]] = res.add %arg0, %[[IN]] {layer = "outer.add"}
// CHECK-NEXT: return %[[OUT]]
func.func @nested(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = res.residual %x {layer = "outer"} : tensor<?x4xf32> -> tensor<?x4xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    %t = res.activation tanh %a : tensor<?x4xf32>
    %i = res.residual %t {layer = "inner"} : tensor<?x4xf32> -> tensor<?x4xf32> branch {
    ^bb0(%b: tensor<?x4xf32>):
      res.yield %b : tensor<?x4xf32>
    }
    res.yield %i : tensor<?x4xf32>
  }
  return %y : tensor<?x4xf32>
}

// -----

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
