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
