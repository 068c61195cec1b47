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

// -----

// relu on a sigmoid is a no-op; relu on a tanh is not.
// CHECK-LABEL: func.func @nonnegative
// CHECK-NEXT: %[[S:.*]] = res.activation sigmoid %arg0
// CHECK-NEXT: %[[T:.*]] = res.activation tanh %[[S]]
// CHECK-NEXT: %[[R:.*]] = res.activation relu %[[T]]
// CHECK-NEXT: return %[[R]]
func.func @nonnegative(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %s = res.activation sigmoid %x : tensor<?x4xf32>
  %r = res.activation relu %s : tensor<?x4xf32>
  %t = res.activation tanh %r : tensor<?x4xf32>
  %r2 = res.activation relu %t : tensor<?x4xf32>
  return %r2 : tensor<?x4xf32>
}

// -----

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

// -----

// A shortcut that yields its argument is the identity shortcut.
// CHECK-LABEL: func.func @identity_shortcut
// CHECK: res.residual
// CHECK-NOT: shortcut
// CHECK: return
func.func @identity_shortcut(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = res.residual %x {layer = "b"} : tensor<?x4xf32> -> tensor<?x4xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    %t = res.activation tanh %a : tensor<?x4xf32>
    res.yield %t : tensor<?x4xf32>
  } shortcut {
  ^bb0(%a: tensor<?x4xf32>):
    res.yield %a : tensor<?x4xf32>
  }
  return %y : tensor<?x4xf32>
}

// -----

// A tied repeat of count 1 is its body; count 2 stays a loop; a repeat
// whose body yields its argument is its input.
// CHECK-LABEL: func.func @repeats
// CHECK-NEXT: %[[W:.*]] = res.weight @t.weight
// CHECK-NEXT: %[[D:.*]] = res.dense %arg0, %[[W]]
// CHECK-NEXT: %[[T:.*]] = res.activation tanh %[[D]]
// CHECK-NEXT: %[[R:.*]] = res.repeat %[[T]] {count = 2 : i64}
// CHECK: return %[[R]]
res.param @t.weight : tensor<4x4xf32>
func.func @repeats(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = res.repeat %x {count = 1 : i64} : tensor<?x4xf32> body {
  ^bb0(%a: tensor<?x4xf32>):
    %w = res.weight @t.weight : tensor<4x4xf32>
    %d = res.dense %a, %w : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
    %t = res.activation tanh %d : tensor<?x4xf32>
    res.yield %t : tensor<?x4xf32>
  }
  %z = res.repeat %y {count = 2 : i64} : tensor<?x4xf32> body {
  ^bb0(%a: tensor<?x4xf32>):
    %t = res.activation tanh %a : tensor<?x4xf32>
    res.yield %t : tensor<?x4xf32>
  }
  %e = res.repeat %z {count = 5 : i64} : tensor<?x4xf32> body {
  ^bb0(%a: tensor<?x4xf32>):
    res.yield %a : tensor<?x4xf32>
  }
  return %e : tensor<?x4xf32>
}

// -----

// A dropout's identity stays, so that training still refuses it.
// CHECK-LABEL: func.func @dropout
// CHECK-NEXT: res.activation identity %arg0 {res.dropout = 2.000000e-01 : f64}
func.func @dropout(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = res.activation identity %x {res.dropout = 2.000000e-01 : f64} : tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
