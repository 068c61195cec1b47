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
