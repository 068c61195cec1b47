// res-simplify: canonicalisation and dead-code removal.
// RUN: res-opt %s -split-input-file -res-simplify | FileCheck %s
// RUN: res-opt %s -split-input-file -res-simplify=erase-unused-params=false | FileCheck %s --check-prefix=KEEP

// Identity activations, relu of a relu and `after identity` go; so do the
// dead ops and the parameter only they read.
// CHECK-NOT: res.param @dead
// KEEP: res.param @dead
// CHECK-LABEL: func.func @activations
// CHECK-NEXT: %[[R:.*]] = res.activation relu %arg0
// CHECK-NEXT: %[[Y:.*]] = res.residual %[[R]] {layer = "b"}
// CHECK-NOT: after
// CHECK: res.yield %arg1
// CHECK: return %[[Y]]
res.param @dead : tensor<4x4xf32>
func.func @activations(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %w = res.weight @dead : tensor<4x4xf32>
  %unused = res.dense %x, %w : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  %i = res.activation identity %x : tensor<?x4xf32>
  %r = res.activation relu %i : tensor<?x4xf32>
  %rr = res.activation relu %r : tensor<?x4xf32>
  %y = res.residual %rr after identity {layer = "b"} : tensor<?x4xf32> -> tensor<?x4xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    res.yield %a : tensor<?x4xf32>
  }
  return %y : tensor<?x4xf32>
}
